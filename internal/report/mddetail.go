package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
)

// Detail is how much of the plan a job summary (or a pull request comment) shows. A summary too
// big for its cap sheds detail level by level, in this order, and never the buckets that drift
// or are blocked, the blockers or the warnings: those go only when even one line each does not
// fit, and then the summary says exactly how many it left out and where the whole list is.
type Detail int

// The levels of detail, from the most to the least.
const (
	// DetailFull is everything.
	DetailFull Detail = iota
	// DetailNoStatements leaves out the statement lines of key and bucket policy changes.
	DetailNoStatements
	// DetailNoSamples leaves out the objects named as samples too.
	DetailNoSamples
	// DetailBucketLines keeps one line per bucket (its line in the policy, region, status, kinds of
	// change, blockers by code), one line per key changed, every blocker and warning: each
	// change's before and after and prose are left out.
	DetailBucketLines
	// DetailDrifting is DetailBucketLines with the buckets in sync counted, not listed.
	DetailDrifting
)

// String names the level as the summary's note does.
func (d Detail) String() string {
	switch d {
	case DetailFull:
		return "full"
	case DetailNoStatements:
		return "policy statements left out"
	case DetailNoSamples:
		return "policy statements and object samples left out"
	case DetailBucketLines:
		return "one line per bucket"
	case DetailDrifting:
		return "only the buckets that drift or are blocked"
	}
	return fmt.Sprintf("Detail(%d)", int(d))
}

// Shown says what a rendered summary (or comment) holds.
type Shown struct {
	Detail Detail
	// FullBytes is the size the full rendering has.
	FullBytes int
	// Buckets is how many buckets the plan holds; InSync how many of them, in sync, are counted
	// and not listed (DetailDrifting).
	Buckets, InSync int
	// LeftOut counts what was cut from each list (DetailDrifting only, when even the buckets that
	// drift or are blocked do not all fit).
	LeftOut LeftOut
}

// LeftOut counts the items of each list a summary did not show.
type LeftOut struct {
	// Buckets are buckets that drift or are blocked.
	Buckets, Blockers, Failures, Keys, Warnings, NotAnnotated int
}

// Any says whether anything was left out.
func (l LeftOut) Any() bool { return l != LeftOut{} }

// of is the count of one cut list (a rows* name).
func (l *LeftOut) of(name string) *int {
	switch name {
	case rowsBuckets:
		return &l.Buckets
	case rowsBlockers:
		return &l.Blockers
	case rowsFailures:
		return &l.Failures
	case rowsKeys:
		return &l.Keys
	case rowsWarnings:
		return &l.Warnings
	}
	return &l.NotAnnotated
}

// Holds completes "The run's job summary has …": what a summary shown at s holds, true to what
// it does.
func (s Shown) Holds() string {
	switch s.Detail {
	case DetailFull:
		return "the full plan: key policies, warnings, change details, existing objects and cost"
	case DetailNoStatements:
		return "every change with its before and after, warnings, existing objects and cost; policy statements are only in the JSON plan"
	case DetailNoSamples:
		return "every change with its before and after, warnings, existing object counts and cost; policy statements and object samples are only in the JSON plan"
	case DetailBucketLines:
		return fmt.Sprintf("one line for each of the %s, every blocker and warning, and the cost; each change's before and after are only in the JSON plan", Plural(s.Buckets, "bucket", "buckets"))
	}
	l := &s.LeftOut
	if !l.Any() {
		return fmt.Sprintf("one line for each bucket that drifts or is blocked (%s), every blocker and warning, and the cost; the rest is only in the JSON plan",
			inSyncCounted(s.InSync))
	}
	var cut []string
	for _, name := range rowsOrder {
		if n := *l.of(name); n > 0 {
			cut = append(cut, rowsCount(name, n))
		}
	}
	return fmt.Sprintf("one line for each bucket that drifts or is blocked, the blockers and the warnings, as many as fit under its size cap (it says how many more: %s); the JSON plan has them all",
		strings.Join(cut, ", "))
}

// note says, at the top, which level of detail is shown, what is left out and where it is.
func (r *mdRenderer) note(b *strings.Builder) {
	if r.detail == DetailFull {
		return
	}
	out := b
	b = &strings.Builder{}
	fmt.Fprintf(b, "> [!NOTE]\n> **Detail: %s.** ", r.detail)
	if r.opts.Comment {
		b.WriteString("The whole plan is too long for a comment")
	} else {
		fmt.Fprintf(b, "The full summary would be %d KiB, over the %d KiB cap (GitHub refuses step summaries over 1 MiB)",
			(r.fullBytes+1023)/1024, r.limit()/1024)
	}
	switch r.detail {
	case DetailNoStatements:
		b.WriteString(": the statement lines of key and bucket policy changes are left out. ")
	case DetailNoSamples:
		b.WriteString(": the statement lines of key and bucket policy changes and the objects named as samples are left out. ")
	case DetailBucketLines:
		b.WriteString(": each bucket has one line (its policy line, region, status, kinds of change and blockers); each change's before and after are left out. ")
	case DetailDrifting:
		fmt.Fprintf(b, ": each bucket that drifts or is blocked has one line; %s. ", inSyncCounted(r.inSyncCount()))
		if left := r.leftOut(); left != "" {
			fmt.Fprintf(b, "Even so, not everything fits; not listed here: %s (%s lists them all). ", left, r.where())
		}
	}
	switch {
	case r.opts.Comment:
	case r.opts.JSONFile != "":
		fmt.Fprintf(b, "The complete plan is in %s (the `plan-json` output).", mdText(r.opts.JSONFile))
	default:
		b.WriteString("Run `sseguard plan --json FILE` for the complete plan.")
	}
	out.WriteString(strings.TrimRight(b.String(), " "))
	out.WriteString("\n\n")
}

// limit is the size the summary must keep under.
func (r *mdRenderer) limit() int {
	if r.opts.MaxBytes > 0 {
		return r.opts.MaxBytes
	}
	return DefaultMarkdownMax
}

// where says where every item of a list cut short is.
func (r *mdRenderer) where() string {
	switch {
	case r.opts.Elsewhere != "":
		return mdText(r.opts.Elsewhere)
	case r.opts.JSONFile != "":
		return "the JSON plan " + mdText(r.opts.JSONFile)
	}
	return "the JSON plan"
}

// mdRows is a list the drifting level may cut: a heading, one row per item, the row that says
// how many were left out, and what ends the list.
type mdRows struct {
	// name keys the list in mdRenderer.keep.
	name       string
	head, tail string
	rows       []string
	// more is the row in place of n rows left out.
	more func(n int) string
	// keep is how many rows are shown: all when negative.
	keep int
}

// write writes the list; nothing when it has no rows.
func (l *mdRows) write(b *strings.Builder) {
	if len(l.rows) == 0 {
		return
	}
	b.WriteString(l.head)
	k := len(l.rows)
	if l.keep >= 0 && l.keep < k {
		k = l.keep
	}
	for _, row := range l.rows[:k] {
		b.WriteString(row)
	}
	if k < len(l.rows) {
		b.WriteString(l.more(len(l.rows) - k))
	}
	b.WriteString(l.tail)
}

// left is how many rows write leaves out.
func (l *mdRows) left() int {
	if l.keep < 0 || l.keep >= len(l.rows) {
		return 0
	}
	return len(l.rows) - l.keep
}

// rows makes a list, keeping as many rows as the renderer was told to.
func (r *mdRenderer) rows(name, head string, rows []string, more func(int) string, tail string) *mdRows {
	l := &mdRows{name: name, head: head, tail: tail, rows: rows, more: more}
	r.cache[r.cacheKey(name)] = l
	return r.kept(l)
}

// kept is l with as many rows kept as the renderer was told to.
func (r *mdRenderer) kept(l *mdRows) *mdRows {
	c := *l
	c.keep = -1
	if k, ok := r.keep[l.name]; ok {
		c.keep = k
	}
	return &c
}

// cached returns a list already built for the plan (and level) being rendered: the levels render
// the same lists again and again, and the drifting level measures them.
func (r *mdRenderer) cached(name string) (*mdRows, bool) {
	l, ok := r.cache[r.cacheKey(name)]
	if !ok {
		return nil, false
	}
	return r.kept(l), true
}

// mdRowsKey names a list of one plan (an account's part has its own) at one kind of level.
type mdRowsKey struct {
	name     string
	p        *plan.Plan
	drifting bool
}

func (r *mdRenderer) cacheKey(name string) mdRowsKey {
	return mdRowsKey{name, r.p, name == rowsBuckets && r.detail == DetailDrifting}
}

// The lists the drifting level cuts, in the order they get room: the buckets first (every
// bucket that drifts or is blocked is named before anything else is listed), then the blockers
// (with a quarter of the room set aside for them first), failed changes, keys, warnings and the
// findings not annotated.
const (
	rowsBuckets      = "buckets"
	rowsBlockers     = "blockers"
	rowsFailures     = "failures"
	rowsKeys         = "keys"
	rowsWarnings     = "warnings"
	rowsNotAnnotated = "not-annotated"
)

// rowsOrder is the order the cut lists get room in.
var rowsOrder = []string{rowsBuckets, rowsBlockers, rowsFailures, rowsKeys, rowsWarnings, rowsNotAnnotated}

// lines is the summary at DetailBucketLines or DetailDrifting: the verdict, the note, the
// counts, the keys pending deletion or disabled, then one line per item of each list.
func (r *mdRenderer) lines() string {
	var b strings.Builder
	r.header(&b)
	r.note(&b)
	if !r.opts.Comment && !r.bare {
		r.counts(&b)
	}
	r.shoutByKey(&b)
	r.blockerRows().write(&b)
	if r.applying() && !r.opts.Comment {
		r.failureRows().write(&b)
	}
	r.bucketRows().write(&b)
	if r.detail == DetailDrifting {
		if n := r.inSyncCount(); n > 0 {
			fmt.Fprintf(&b, "%s; %s lists every bucket.\n\n", inSyncCounted(n), r.where())
		}
	}
	r.keyRows().write(&b)
	if r.opts.Comment {
		return b.String()
	}
	r.warningRows().write(&b)
	if r.bare {
		return b.String()
	}
	r.unmanagedLine(&b)
	r.hiddenRows().write(&b)
	r.cost(&b)
	r.footer(&b)
	return b.String()
}

// drifting renders DetailDrifting within limit: when even one line per bucket that drifts or is
// blocked does not fit, the lists are cut (see the rows* constants for who gets room first) and
// say how many they left out.
func (r *mdRenderer) drifting(limit int) (string, LeftOut) {
	r.keep = nil
	if md := r.render(DetailDrifting); len(md) <= limit {
		return md, LeftOut{}
	}
	lists := r.cutLists()
	r.keep = map[string]int{}
	for _, l := range lists {
		r.keep[l.name] = 0
	}
	// Every list empty but for its "N more" row: what is left of the room goes to rows. Under a
	// cap so small that even this does not fit, the counts and the cost go too.
	room := limit - len(r.render(DetailDrifting))
	if room < 0 {
		r.bare = true
		room = limit - len(r.render(DetailDrifting))
	}
	take := func(l *mdRows, most int) {
		if l == nil {
			return
		}
		k := r.keep[l.name]
		for k < len(l.rows) && len(l.rows[k]) <= min(room, most) {
			room -= len(l.rows[k])
			most -= len(l.rows[k])
			k++
		}
		r.keep[l.name] = k
	}
	byName := map[string]*mdRows{}
	for _, l := range lists {
		byName[l.name] = l
	}
	take(byName[rowsBlockers], room/4)
	for _, name := range rowsOrder {
		take(byName[name], room)
	}
	md := r.render(DetailDrifting)
	var left LeftOut
	for _, l := range r.cutLists() {
		*left.of(l.name) = l.left()
	}
	return md, left
}

// cutLists are the lists the drifting level renders, as they are rendered now.
func (r *mdRenderer) cutLists() []*mdRows {
	saved := r.detail
	r.detail = DetailDrifting
	defer func() { r.detail = saved }()
	if r.opts.Comment {
		return []*mdRows{r.bucketRows(), r.blockerRows(), r.keyRows()}
	}
	lists := []*mdRows{r.bucketRows(), r.blockerRows()}
	if r.applying() {
		lists = append(lists, r.failureRows())
	}
	return append(lists, r.keyRows(), r.warningRows(), r.hiddenRows())
}

// leftOut says what the cut lists leave out, for the note: "" when nothing.
func (r *mdRenderer) leftOut() string {
	if r.keep == nil {
		return ""
	}
	var parts []string
	for _, l := range r.cutLists() {
		if n := l.left(); n > 0 {
			parts = append(parts, rowsCount(l.name, n))
		}
	}
	return strings.Join(parts, ", ")
}

// rowsWhat names the items of each cut list, one and many.
var rowsWhat = map[string][2]string{
	rowsBuckets:      {"bucket that drifts or is blocked", "buckets that drift or are blocked"},
	rowsBlockers:     {"blocker", "blockers"},
	rowsFailures:     {"failed change", "failed changes"},
	rowsKeys:         {"key", "keys"},
	rowsWarnings:     {"warning", "warnings"},
	rowsNotAnnotated: {"finding not annotated", "findings not annotated"},
}

// rowsCount counts n items of a cut list: "1 blocker", "3 buckets that drift or are blocked".
func rowsCount(name string, n int) string {
	return Plural(n, rowsWhat[name][0], rowsWhat[name][1])
}

// moreRow is a list's "N more" row: a table row of cols cells, or a list item when cols is 0.
func (r *mdRenderer) moreRow(name string, cols int) func(int) string {
	return func(n int) string {
		what := rowsWhat[name][1]
		if n == 1 {
			what = rowsWhat[name][0]
		}
		text := fmt.Sprintf("… %d more %s: %s lists them all", n, what, r.where())
		if cols == 0 {
			return "- " + text + "\n"
		}
		return "| " + text + " |" + strings.Repeat(" |", cols-1) + "\n"
	}
}

// inSyncCounted says that n buckets in sync are counted, not listed.
func inSyncCounted(n int) string {
	if n == 1 {
		return "1 bucket in sync is counted, not listed"
	}
	return fmt.Sprintf("%d buckets in sync are counted, not listed", n)
}

// inSyncCount is how many buckets need nothing.
func (r *mdRenderer) inSyncCount() int {
	n := 0
	for _, bs := range r.p.Buckets {
		if r.bucketInSync(bs) {
			n++
		}
	}
	return n
}

// bucketRows is one line per bucket (DetailBucketLines), or per bucket that drifts or is blocked
// (DetailDrifting): the account when the plan has several, the bucket, its policy line, region
// and status (blockers by code, or the kinds of change).
func (r *mdRenderer) bucketRows() *mdRows {
	if l, ok := r.cached(rowsBuckets); ok {
		return l
	}
	multi := len(r.p.Accounts) > 0
	var rows []string
	for _, bs := range r.p.Buckets {
		if r.detail == DetailDrifting && r.bucketInSync(bs) {
			continue
		}
		row := fmt.Sprintf("| %s | %s | %s | %s |\n", mdText(bs.Name), mdLine(bs.Line), mdOr(bs.Region), r.bucketStatus(bs))
		if multi {
			row = "| " + mdOr(bs.Account) + " " + row
		}
		rows = append(rows, row)
	}
	title := "Buckets"
	if r.detail == DetailDrifting {
		title = "Buckets that drift or are blocked"
	}
	head := fmt.Sprintf("#### %s (%d)\n\n| bucket | line | region | status |\n|---|---|---|---|\n", title, len(rows))
	cols := 4
	if multi {
		head = fmt.Sprintf("#### %s (%d)\n\n| account | bucket | line | region | status |\n|---|---|---|---|---|\n", title, len(rows))
		cols = 5
	}
	return r.rows(rowsBuckets, head, rows, r.moreRow(rowsBuckets, cols), "\n")
}

// keyRows is one line per key changed: the key, its region and policy line, and the kinds of
// change (DetailBucketLines and below).
func (r *mdRenderer) keyRows() *mdRows {
	if l, ok := r.cached(rowsKeys); ok {
		return l
	}
	multi := len(r.p.Accounts) > 0
	type keyID struct{ account, target, region string }
	var order []keyID
	ids := map[keyID][]string{}
	line := map[keyID]int{}
	for _, c := range r.p.Changes {
		if !mdIsKeyKind(c.Kind) {
			continue
		}
		k := keyID{c.Account, mdKeyTarget(c), c.Region}
		if _, ok := ids[k]; !ok {
			order = append(order, k)
			line[k] = c.Line
		}
		ids[k] = append(ids[k], c.ID)
	}
	var rows []string
	for _, k := range order {
		row := fmt.Sprintf("| %s | %s | %s | %s |\n", mdOr(k.target), mdOr(k.region), mdLine(line[k]), strings.Join(r.kinds(ids[k]), ", "))
		if multi {
			row = "| " + mdOr(k.account) + " " + row
		}
		rows = append(rows, row)
	}
	head := fmt.Sprintf("#### Keys (%d)\n\n| key | region | line | changes |\n|---|---|---|---|\n", len(rows))
	cols := 4
	if multi {
		head = fmt.Sprintf("#### Keys (%d)\n\n| account | key | region | line | changes |\n|---|---|---|---|---|\n", len(rows))
		cols = 5
	}
	return r.rows(rowsKeys, head, rows, r.moreRow(rowsKeys, cols), "\n")
}

// hiddenRows lists the findings GitHub does not show as annotations (past its limit per step),
// each with its policy line: the last annotation only names the first few.
func (r *mdRenderer) hiddenRows() *mdRows {
	if l, ok := r.cached(rowsNotAnnotated); ok {
		return l
	}
	var results map[string]plan.Result
	if r.applying() {
		results = r.results
	}
	hidden := notAnnotated(r.p, results, r.p.PolicyPath)
	var rows []string
	for _, a := range hidden {
		rows = append(rows, fmt.Sprintf("- line %s (%s): %s\n", mdLine(a.Line), a.Level, mdText(strings.TrimPrefix(a.Title, "sseguard: "))))
	}
	head := fmt.Sprintf("<details><summary>Not annotated: %d findings past the %d annotations GitHub shows per step</summary>\n\n",
		len(rows), MaxAnnotations)
	return r.rows(rowsNotAnnotated, head, rows, r.moreRow(rowsNotAnnotated, 0), "\n</details>\n\n")
}

// unmanagedLine counts the buckets the policy does not name, for the levels without their table.
func (r *mdRenderer) unmanagedLine(b *strings.Builder) {
	u := r.p.Unmanaged
	switch {
	case u == nil:
	case u.Err != "":
		r.unmanaged(b)
	default:
		fmt.Fprintf(b, "Buckets the policy does not name (%s; reported, never changed): %d, listed in %s.\n\n",
			mdText(unmanagedScope(u)), len(u.Buckets), r.where())
	}
}
