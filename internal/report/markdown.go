package report

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sseguard/sseguard/internal/plan"
)

// DefaultMarkdownMax is the job summary's default size cap in bytes. GitHub refuses a step summary
// over 1 MiB; half of that leaves room for other steps' summaries in the same job.
const DefaultMarkdownMax = 512 << 10

// MarkdownOptions says how to render a job summary.
type MarkdownOptions struct {
	// Mode is "plan" or "apply".
	Mode string
	// Results are apply's outcomes, one per change attempted (apply mode only).
	Results []plan.Result
	// JSONFile is where the full JSON plan was written; the summary names it, and points at it
	// when the summary is cut short.
	JSONFile string
	// MaxBytes caps the summary's size; 0 means DefaultMarkdownMax. Past it, the summary keeps the
	// verdict, the blockers and the counts, and points at JSONFile for the rest.
	MaxBytes int
}

// Markdown renders the plan (and apply results) as a GitHub job summary: the verdict line first,
// blockers before everything else, one table row per bucket, key policy findings, warnings,
// existing objects, and a cost note. Every string that came from AWS or the policy is escaped so
// that it cannot leave its table cell, inject HTML, links or mentions, or start a block.
func Markdown(p *plan.Plan, opts MarkdownOptions) string {
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = DefaultMarkdownMax
	}
	r := mdRenderer{p: p, opts: opts, results: map[string]plan.Result{}}
	for _, res := range opts.Results {
		r.results[res.ChangeID] = res
	}
	full := r.full()
	if len(full) <= limit {
		return full
	}
	return r.compact(len(full), limit)
}

// MarkdownFailure is the job summary of a run that stopped before it had a plan to show (an invalid
// policy, a refused apply, an error): a verdict line with what happened, then one item per line
// of detail. Both are escaped like every other value.
func MarkdownFailure(mode, what string, details []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### ❌ sseguard %s: %s\n\n", mdModeName(mode), mdText(what))
	for _, d := range details {
		fmt.Fprintf(&b, "- %s\n", mdText(d))
	}
	if len(details) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

type mdRenderer struct {
	p       *plan.Plan
	opts    MarkdownOptions
	results map[string]plan.Result
}

func (r *mdRenderer) applying() bool { return r.opts.Mode == "apply" }

func (r *mdRenderer) full() string {
	var b strings.Builder
	r.header(&b)
	r.shout(&b)
	r.blockersBudget(&b, -1)
	if r.applying() {
		r.applyResults(&b)
	}
	r.buckets(&b)
	if !r.applying() {
		r.changes(&b)
	}
	r.keyFindings(&b)
	r.warnings(&b)
	r.otherDetails(&b)
	r.objects(&b)
	r.cost(&b)
	r.footer(&b)
	return b.String()
}

// compact is the summary of a plan too big for the cap: verdict, blockers and failures (as many
// as fit), counts, and where the whole plan is.
func (r *mdRenderer) compact(fullSize, limit int) string {
	var b strings.Builder
	r.header(&b)
	fmt.Fprintf(&b, "> [!WARNING]\n> This summary is cut short: the full one is %d KiB, over the %d KiB cap (GitHub refuses step summaries over 1 MiB). ",
		(fullSize+1023)/1024, limit/1024)
	if r.opts.JSONFile != "" {
		fmt.Fprintf(&b, "The complete plan is in %s (the `plan-json` output).\n\n", mdText(r.opts.JSONFile))
	} else {
		b.WriteString("Run `sseguard plan --json FILE` for the complete plan.\n\n")
	}
	r.counts(&b)
	// Blockers and failed changes matter most: give them what is left, keeping room for the footer.
	budget := limit - b.Len() - 2048
	var tail strings.Builder
	r.shout(&tail)
	if tail.Len() > budget/2 {
		tail.Reset()
	}
	b.WriteString(tail.String())
	budget -= tail.Len()
	if r.applying() {
		var f strings.Builder
		r.failures(&f, budget/2)
		b.WriteString(f.String())
		budget -= f.Len()
	}
	var bl strings.Builder
	r.blockersBudget(&bl, budget)
	b.WriteString(bl.String())
	r.cost(&b)
	r.footer(&b)
	return b.String()
}

func (r *mdRenderer) header(b *strings.Builder) {
	icon, verdict := "✅", Verdict(r.p)
	switch {
	case len(r.p.Blockers) > 0:
		icon = "⛔"
	case r.applying():
		// below
	case len(r.p.Changes) > 0:
		icon = "🟠"
	}
	if r.applying() {
		var failed bool
		verdict, failed = r.applyVerdict()
		if failed {
			icon = "❌"
		}
	}
	fmt.Fprintf(b, "### %s sseguard %s: %s\n\n", icon, mdModeName(r.opts.Mode), verdict)
	var meta []string
	if r.p.PolicyPath != "" {
		meta = append(meta, "policy "+mdText(r.p.PolicyPath))
	}
	if r.p.Account != "" {
		meta = append(meta, "account "+mdText(r.p.Account))
	}
	meta = append(meta, mdPlural(len(r.p.Buckets), "bucket", "buckets"))
	fmt.Fprintf(b, "<sub>%s</sub>\n\n", strings.Join(meta, " · "))
}

func mdModeName(mode string) string {
	if mode == "apply" {
		return "apply"
	}
	return "plan"
}

// applyVerdict counts the outcomes of an apply: "3 applied, 1 failed, 1 blocker".
func (r *mdRenderer) applyVerdict() (string, bool) {
	n := map[plan.Outcome]int{}
	for _, res := range r.opts.Results {
		n[res.Outcome]++
	}
	var parts []string
	if n[plan.Done] > 0 || len(r.p.Changes) > 0 {
		parts = append(parts, fmt.Sprintf("%d applied", n[plan.Done]))
	}
	if n[plan.Failed] > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", n[plan.Failed]))
	}
	if n[plan.Unverified] > 0 {
		parts = append(parts, fmt.Sprintf("%d unverified", n[plan.Unverified]))
	}
	if n[plan.Skipped] > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", n[plan.Skipped]))
	}
	if k := len(r.p.Blockers); k > 0 {
		parts = append(parts, mdPlural(k, "blocker", "blockers"))
	}
	failed := n[plan.Failed]+n[plan.Unverified] > 0
	if len(parts) == 0 {
		verb := "match"
		if len(r.p.Buckets) == 1 {
			verb = "matches"
		}
		return fmt.Sprintf("In sync, nothing to apply: %s %s the policy.", mdPlural(len(r.p.Buckets), "bucket", "buckets"), verb), false
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(" (%s in the policy).", mdPlural(len(r.p.Buckets), "bucket", "buckets")), failed
}

// shout puts keys that make data unreadable in a caution box above everything else.
func (r *mdRenderer) shout(b *strings.Builder) {
	var lines []string
	for _, bl := range r.p.Blockers {
		var what string
		switch bl.Code {
		case plan.BlockKeyPendingDelete:
			what = "is pending deletion: objects encrypted under it become unreadable for good once it is deleted."
		case plan.BlockKeyDisabled:
			what = "is disabled: objects encrypted under it cannot be read until it is enabled again."
		default:
			continue
		}
		subject := "A key"
		if bl.Alias != "" {
			subject = "Key " + mdText(bl.Alias)
		}
		where := ""
		if bl.Bucket != "" {
			where = " (bucket " + mdText(bl.Bucket) + ")"
		}
		lines = append(lines, fmt.Sprintf("> **%s%s %s** %s", subject, where, what, mdText(bl.Message)))
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("> [!CAUTION]\n")
	b.WriteString(strings.Join(lines, "\n>\n"))
	b.WriteString("\n\n")
}

// blockersBudget writes the blockers table, stopping before budget bytes (no limit when < 0).
func (r *mdRenderer) blockersBudget(b *strings.Builder, budget int) {
	if len(r.p.Blockers) == 0 {
		return
	}
	start := b.Len()
	b.WriteString("#### ⛔ Blockers: nothing is changed for these\n\n| blocker | bucket | key | line | what is wrong |\n|---|---|---|---|---|\n")
	for i, bl := range r.p.Blockers {
		row := fmt.Sprintf("| %s | %s | %s | %s | %s |\n", mdText(bl.Code), mdOr(bl.Bucket), mdOr(bl.Alias), mdLine(bl.Line), mdText(bl.Message))
		if budget >= 0 && b.Len()-start+len(row) > budget {
			fmt.Fprintf(b, "| … | %d more blockers in the JSON plan | | | |\n", len(r.p.Blockers)-i)
			break
		}
		b.WriteString(row)
	}
	b.WriteString("\n")
}

func (r *mdRenderer) applyResults(b *strings.Builder) {
	if len(r.p.Changes) == 0 && len(r.opts.Results) == 0 {
		return
	}
	b.WriteString("#### Apply results\n\n| change | before | after | outcome | detail |\n|---|---|---|---|---|\n")
	seen := map[string]bool{}
	for _, c := range r.p.Changes {
		seen[c.ID] = true
		res, ok := r.results[c.ID]
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mdText(c.ID), mdOr(c.Before), mdOr(c.After), mdOutcome(res, ok), mdResultDetail(res))
	}
	for _, res := range r.opts.Results {
		if !seen[res.ChangeID] {
			fmt.Fprintf(b, "| %s | — | — | %s | %s |\n", mdText(res.ChangeID), mdOutcome(res, true), mdResultDetail(res))
		}
	}
	b.WriteString("\n")
}

// failures lists the changes that failed, for the compact summary.
func (r *mdRenderer) failures(b *strings.Builder, budget int) {
	var bad []plan.Result
	for _, res := range r.opts.Results {
		if res.Outcome == plan.Failed || res.Outcome == plan.Unverified {
			bad = append(bad, res)
		}
	}
	if len(bad) == 0 {
		return
	}
	start := b.Len()
	b.WriteString("#### ❌ Failed changes\n\n| change | outcome | error |\n|---|---|---|\n")
	for i, res := range bad {
		row := fmt.Sprintf("| %s | %s | %s |\n", mdText(res.ChangeID), mdOutcome(res, true), mdResultDetail(res))
		if b.Len()-start+len(row) > budget {
			fmt.Fprintf(b, "| … | %d more in the JSON plan | |\n", len(bad)-i)
			break
		}
		b.WriteString(row)
	}
	b.WriteString("\n")
}

func mdOutcome(res plan.Result, ok bool) string {
	if !ok {
		return "not attempted"
	}
	switch res.Outcome {
	case plan.Done:
		return "✅ done"
	case plan.Failed:
		return "❌ failed"
	case plan.Unverified:
		return "⚠️ unverified"
	case plan.Skipped:
		return "⏭️ skipped"
	}
	return mdText(string(res.Outcome))
}

func mdResultDetail(res plan.Result) string {
	var parts []string
	if res.Error != "" {
		parts = append(parts, "**"+mdText(res.Error)+"**")
	}
	if res.Detail != "" {
		parts = append(parts, mdText(res.Detail))
	}
	return strings.Join(parts, "<br>")
}

func (r *mdRenderer) buckets(b *strings.Builder) {
	if len(r.p.Buckets) == 0 {
		return
	}
	b.WriteString("#### Buckets\n\n| bucket | line | region | required | observed | status |\n|---|---|---|---|---|---|\n")
	for _, bs := range r.p.Buckets {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", mdText(bs.Name), mdLine(bs.Line), mdOr(bs.Region),
			mdOr(bs.Required), mdOr(bs.Observed), r.bucketStatus(bs))
	}
	b.WriteString("\n")
	r.statusPie(b)
}

func (r *mdRenderer) bucketStatus(bs plan.BucketStatus) string {
	switch bs.Status {
	case plan.InSync:
		return "✅ in sync"
	case plan.Blocked:
		var codes []string
		for _, bl := range r.p.Blockers {
			if bl.Bucket == bs.Name {
				codes = append(codes, mdText(bl.Code))
			}
		}
		return strings.TrimSuffix("⛔ blocked: "+strings.Join(codes, ", "), ": ")
	}
	var parts []string
	for _, id := range bs.Changes {
		kind := id
		if c, ok := r.p.Change(id); ok {
			kind = string(c.Kind)
		}
		item := mdText(kind)
		if r.applying() {
			res, ok := r.results[id]
			item = strings.Fields(mdOutcome(res, ok))[0] + " " + item
		}
		parts = append(parts, item)
	}
	if r.applying() {
		return strings.Join(parts, "<br>")
	}
	return strings.TrimSuffix("🟠 drift: "+strings.Join(parts, ", "), ": ")
}

// statusPie draws buckets by status when there is more than one status to compare.
func (r *mdRenderer) statusPie(b *strings.Builder) {
	n := map[plan.Status]int{}
	for _, bs := range r.p.Buckets {
		n[bs.Status]++
	}
	if len(n) < 2 {
		return
	}
	mdPie(b, "Buckets by status", []mdSlice{{"in sync", n[plan.InSync]}, {"drift", n[plan.Drift]}, {"blocked", n[plan.Blocked]}})
}

func (r *mdRenderer) changes(b *strings.Builder) {
	if len(r.p.Changes) == 0 {
		return
	}
	fmt.Fprintf(b, "#### Changes (%d)\n\n| change | line | region | before | after |\n|---|---|---|---|---|\n", len(r.p.Changes))
	for _, c := range r.p.Changes {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", mdText(c.ID), mdLine(c.Line), mdOr(c.Region), mdOr(c.Before), mdOr(c.After))
	}
	b.WriteString("\n")
}

func mdIsKeyKind(k plan.Kind) bool {
	return k == plan.CreateKey || k == plan.UpdateKeyPolicy || k == plan.EnableKeyRotation
}

// keyFindings lists what is wrong with each key policy and rotation, statement by statement.
func (r *mdRenderer) keyFindings(b *strings.Builder) {
	var items []string
	for _, c := range r.p.Changes {
		if !mdIsKeyKind(c.Kind) {
			continue
		}
		target := c.Alias
		if target == "" {
			target = c.KeyARN
		}
		item := fmt.Sprintf("- **%s** %s (%s, line %s): %s → %s", mdText(string(c.Kind)), mdOr(target), mdOr(c.Region),
			mdLine(c.Line), mdOr(c.Before), mdOr(c.After))
		for _, d := range c.Details {
			item += "\n  - " + mdText(d)
		}
		items = append(items, item)
	}
	if len(items) == 0 {
		return
	}
	b.WriteString("#### Key policies and rotation\n\n")
	b.WriteString(strings.Join(items, "\n"))
	b.WriteString("\n\n")
}

func (r *mdRenderer) warnings(b *strings.Builder) {
	if len(r.p.Warnings) == 0 {
		return
	}
	b.WriteString("#### Warnings\n\n")
	for _, w := range r.p.Warnings {
		var about []string
		if w.Bucket != "" {
			about = append(about, "bucket "+mdText(w.Bucket))
		}
		if w.Alias != "" {
			about = append(about, "key "+mdText(w.Alias))
		}
		if w.Line > 0 {
			about = append(about, "line "+mdLine(w.Line))
		}
		where := ""
		if len(about) > 0 {
			where = " (" + strings.Join(about, ", ") + ")"
		}
		fmt.Fprintf(b, "- ⚠️ **%s**%s: %s\n", mdText(w.Code), where, mdText(w.Message))
	}
	b.WriteString("\n")
}

// otherDetails shows the finer lines of bucket changes (bucket policy statements, object counts),
// folded: the tables above already say what changes.
func (r *mdRenderer) otherDetails(b *strings.Builder) {
	var items []string
	for _, c := range r.p.Changes {
		if mdIsKeyKind(c.Kind) || len(c.Details) == 0 {
			continue
		}
		item := "- **" + mdText(c.ID) + "**"
		for _, d := range c.Details {
			item += "\n  - " + mdText(d)
		}
		items = append(items, item)
	}
	if len(items) == 0 {
		return
	}
	b.WriteString("<details><summary>Change details</summary>\n\n")
	b.WriteString(strings.Join(items, "\n"))
	b.WriteString("\n\n</details>\n\n")
}

func (r *mdRenderer) objects(b *strings.Builder) {
	var rows []plan.BucketStatus
	for _, bs := range r.p.Buckets {
		if bs.Objects != nil {
			rows = append(rows, bs)
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("#### Existing objects\n\n")
	if r.applying() {
		b.WriteString("| bucket | scanned | compliant | to fix | skipped | noncurrent versions | fixed | failed | remaining |\n|---|--:|--:|---|---|--:|--:|--:|--:|\n")
	} else {
		b.WriteString("| bucket | scanned | compliant | to fix | skipped | noncurrent versions |\n|---|--:|--:|---|---|--:|\n")
	}
	total := map[string]int{}
	var samples []string
	for _, bs := range rows {
		o := bs.Objects
		fmt.Fprintf(b, "| %s | %d | %d | %s | %s | %d |", mdText(bs.Name), o.Scanned, o.Compliant,
			mdCounts(o.TotalToFix(), o.ToFix), mdCounts(mdSum(o.Skipped), o.Skipped), o.Noncurrent)
		if r.applying() {
			fmt.Fprintf(b, " %d | %d | %d |", o.Fixed, o.Failed, o.Remaining)
		}
		b.WriteString("\n")
		total["compliant"] += o.Compliant
		for k, v := range o.ToFix {
			total[k] += v
		}
		total["skipped"] += mdSum(o.Skipped)
		for i, s := range o.Sample {
			if i == 5 {
				break
			}
			line := fmt.Sprintf("- %s: %s (%s", mdText(bs.Name), mdText(s.Key), mdText(s.Kind))
			if s.Observed != "" {
				line += ", " + mdText(s.Observed)
			}
			samples = append(samples, line+")")
		}
	}
	b.WriteString("\n")
	if len(samples) > 0 {
		b.WriteString("<details><summary>Some of the objects to fix</summary>\n\n")
		b.WriteString(strings.Join(samples, "\n"))
		b.WriteString("\n\n</details>\n\n")
	}
	var slices []mdSlice
	for _, k := range mdSortedKeys(total) {
		slices = append(slices, mdSlice{k, total[k]})
	}
	// compliant first, then what needs work
	sort.SliceStable(slices, func(i, j int) bool { return slices[i].label == "compliant" && slices[j].label != "compliant" })
	nonzero := 0
	for _, s := range slices {
		if s.n > 0 {
			nonzero++
		}
	}
	if nonzero >= 2 {
		mdPie(b, "Objects by encryption", slices)
	}
}

func mdCounts(total int, by map[string]int) string {
	if total == 0 {
		return "0"
	}
	var parts []string
	for _, k := range mdSortedKeys(by) {
		if by[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", mdText(k), by[k]))
		}
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

func mdSum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func mdSortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// counts is the compact summary's view of the plan: how many buckets, changes and results of each kind.
func (r *mdRenderer) counts(b *strings.Builder) {
	status := map[plan.Status]int{}
	for _, bs := range r.p.Buckets {
		status[bs.Status]++
	}
	fmt.Fprintf(b, "| buckets | in sync | drift | blocked |\n|--:|--:|--:|--:|\n| %d | %d | %d | %d |\n\n",
		len(r.p.Buckets), status[plan.InSync], status[plan.Drift], status[plan.Blocked])
	r.statusPie(b)
	kinds := map[string]int{}
	for _, c := range r.p.Changes {
		kinds[string(c.Kind)]++
	}
	if len(kinds) > 0 {
		b.WriteString("| change | count |\n|---|--:|\n")
		for _, k := range mdSortedKeys(kinds) {
			fmt.Fprintf(b, "| %s | %d |\n", mdText(k), kinds[k])
		}
		b.WriteString("\n")
	}
	if len(r.opts.Results) > 0 {
		out := map[string]int{}
		for _, res := range r.opts.Results {
			out[string(res.Outcome)]++
		}
		b.WriteString("| outcome | count |\n|---|--:|\n")
		for _, k := range mdSortedKeys(out) {
			fmt.Fprintf(b, "| %s | %d |\n", mdText(k), out[k])
		}
		b.WriteString("\n")
	}
}

func (r *mdRenderer) cost(b *strings.Builder) {
	newKeys, reencrypt := 0, 0
	for _, c := range r.p.Changes {
		if c.Kind == plan.CreateKey {
			newKeys++
		}
	}
	for _, bs := range r.p.Buckets {
		if bs.Objects != nil {
			reencrypt += bs.Objects.TotalToFix()
		}
	}
	// "&#36;" is a dollar sign that GitHub's math syntax ($…$) does not see.
	b.WriteString("#### Cost\n\nEach customer managed KMS key costs &#36;1 a month, and KMS requests are billed (&#36;0.03 per 10,000). S3 Bucket Keys cut the KMS requests S3 makes by up to 99%.")
	if newKeys > 0 {
		fmt.Fprintf(b, " This plan creates %s: about &#36;%d a month more.", mdPlural(newKeys, "key", "keys"), newKeys)
	}
	if reencrypt > 0 {
		fmt.Fprintf(b, " Re-encrypting %s costs one S3 request each, plus KMS requests.", mdPlural(reencrypt, "object", "objects"))
	}
	b.WriteString("\n\n")
}

func (r *mdRenderer) footer(b *strings.Builder) {
	if r.opts.JSONFile != "" {
		fmt.Fprintf(b, "<sub>The full plan is in %s (the `plan-json` output).</sub>\n", mdText(r.opts.JSONFile))
	}
}

type mdSlice struct {
	label string
	n     int
}

// mdPie draws a Mermaid pie chart; slices of zero are left out.
func mdPie(b *strings.Builder, title string, slices []mdSlice) {
	fmt.Fprintf(b, "```mermaid\npie showData title %s\n", mdMermaidLabel(title))
	for _, s := range slices {
		if s.n > 0 {
			fmt.Fprintf(b, "    \"%s\" : %d\n", mdMermaidLabel(s.label), s.n)
		}
	}
	b.WriteString("```\n\n")
}

// mdMermaidLabel keeps a label inside its quotes and its line: letters, digits, spaces and - _ /.
func mdMermaidLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" -_/", r)) {
			return r
		}
		return ' '
	}, s)
}

func mdPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func mdLine(n int) string {
	if n <= 0 {
		return "—"
	}
	return fmt.Sprint(n)
}

// mdOr escapes s, or shows a dash for nothing.
func mdOr(s string) string {
	if s == "" {
		return "—"
	}
	return mdText(s)
}

// mdMaxRunes cuts very long values (object keys reach 1024 bytes, policy documents more): the
// summary is for reading, the JSON plan has everything.
const mdMaxRunes = 400

// mdText makes s inert inline markdown, safe in a table cell, a list item or a paragraph:
//
//   - characters markdown, GFM tables, HTML or GitHub's math give a meaning to (\ ` * _ [ ] < >
//     & | # ~ $) become numeric character references, which render as themselves and form no
//     syntax; no backslash is ever emitted before a pipe, so no cell can be closed early;
//   - @ gets a word joiner after it (no mention, no e-mail autolink) and the "://" of a URL and
//     the dot of "www." are encoded (no autolink);
//   - control, format (bidi overrides, zero-width) and line-separator characters are shown as
//     escapes such as \x0a or \u{202E}, so a value cannot start a new line or hide what it says.
//
// Values are only ever placed after other text on a line, so a leading - + = or digit cannot
// start a list or heading.
func mdText(s string) string {
	var b strings.Builder
	runes := []rune(s)
	for i, r := range runes {
		if i == mdMaxRunes {
			b.WriteString("…")
			break
		}
		switch {
		case r == '@':
			b.WriteString("@&#8288;")
		case r == ':' && i+2 < len(runes) && runes[i+1] == '/' && runes[i+2] == '/':
			b.WriteString("&#58;")
		case r == '.' && i >= 3 && strings.EqualFold(string(runes[i-3:i]), "www"):
			b.WriteString("&#46;")
		case r < utf8.RuneSelf && strings.ContainsRune("\\`*_[]<>&|#~$", r):
			fmt.Fprintf(&b, "&#%d;", r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u{%04X}`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
