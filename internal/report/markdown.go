package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
)

// DefaultMarkdownMax is the job summary's default size cap in bytes. GitHub refuses a step summary
// over 1 MiB; half of that leaves room for other steps' summaries in the same job.
const DefaultMarkdownMax = 512 << 10

// MarkdownOptions says how to render a job summary.
type MarkdownOptions struct {
	// Mode is the run's: plan.ModePlan or plan.ModeApply.
	Mode plan.Mode
	// Results are apply's outcomes, one per change attempted (apply mode only).
	Results []plan.Result
	// JSONFile is where the full JSON plan was written; the summary names it, and points at it
	// for whatever it leaves out.
	JSONFile string
	// MaxBytes caps the summary's size; 0 means DefaultMarkdownMax. Past it, the summary sheds
	// detail level by level (Detail) and never the buckets that drift or are blocked.
	MaxBytes int
	// Comment renders a pull request comment's view of the plan: the verdict, blockers, the
	// buckets and, at full detail, the changes; everything else stays in the job summary.
	Comment bool
	// Elsewhere says where a list cut short is whole, for the rows that say how many were left
	// out (it is escaped); empty means the JSON plan (JSONFile).
	Elsewhere string
	// Version is the sseguard that made the summary (version.Info.Short); its footer says it.
	// Empty leaves it out.
	Version string
}

// Markdown renders the plan (and apply results) as a GitHub job summary: the verdict line first,
// blockers before everything else, one table row per bucket, key policy findings, warnings,
// existing objects, and a cost note. Every string that came from AWS or the policy is escaped so
// that it cannot leave its table cell, inject HTML, links or mentions, or start a block.
//
// A summary over opts.MaxBytes sheds detail in this order (MarkdownShown says which level it
// shows, and so does a note at its top): policy statements, object samples, per-change prose
// (one line per bucket is left), then the buckets in sync (counted, not listed). Past that, the
// lists are cut, each saying exactly how many it left out and where the whole list is.
func Markdown(p *plan.Plan, opts MarkdownOptions) string {
	md, _ := MarkdownShown(p, opts)
	return md
}

// MarkdownShown is Markdown, and what the rendered markdown holds.
func MarkdownShown(p *plan.Plan, opts MarkdownOptions) (string, Shown) {
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = DefaultMarkdownMax
	}
	r := newMDRenderer(p, opts)
	full := r.render(DetailFull)
	shown := Shown{Detail: DetailFull, FullBytes: len(full), Buckets: len(p.Buckets)}
	if len(full) <= limit {
		return full, shown
	}
	r.fullBytes = len(full)
	levels := []Detail{DetailNoStatements, DetailNoSamples, DetailBucketLines}
	if opts.Comment {
		// A comment holds no policy statement nor object sample to drop.
		levels = []Detail{DetailBucketLines}
	}
	for _, d := range levels {
		if md := r.render(d); len(md) <= limit {
			shown.Detail = d
			return md, shown
		}
	}
	md, left := r.drifting(limit)
	shown.Detail, shown.InSync, shown.LeftOut = DetailDrifting, r.inSyncCount(), left
	return md, shown
}

// MarkdownFailure is the job summary of a run that stopped before it had a plan to show (an invalid
// policy, a refused apply, an error): a verdict line with what happened, then one item per line
// of detail. Both are escaped like every other value. A version (version.Info.Short) ends it in
// the footer a plan's summary has.
func MarkdownFailure(mode plan.Mode, what string, details []string, version string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### ❌ sseguard %s: %s\n\n", mdModeName(mode), mdText(what))
	for _, d := range details {
		fmt.Fprintf(&b, "- %s\n", mdText(d))
	}
	if len(details) > 0 {
		b.WriteString("\n")
	}
	if version != "" {
		fmt.Fprintf(&b, "<sub>sseguard %s</sub>\n", mdText(version))
	}
	return b.String()
}

// mdRenderer renders one job summary (or comment); each section writes itself to a
// strings.Builder.
type mdRenderer struct {
	p       *plan.Plan
	opts    MarkdownOptions
	results map[string]plan.Result
	// byID indexes the whole plan's changes by id (ids are unique across accounts).
	byID map[string]plan.Change
	// unchanged are the changes apply found nothing to do for.
	unchanged map[string]bool
	// detail is the level being rendered; fullBytes the size of the full summary, once known.
	detail    Detail
	fullBytes int
	// keep says how many rows of each cut list the drifting level shows (absent: all).
	keep map[string]int
	// byBucket indexes the blockers by bucket, once asked (blockersOf).
	byBucket map[string][]plan.Blocker
	// bare leaves out everything but the verdict, the note and the lists (a cap too small for the
	// rest).
	bare bool
	// cache holds the lists already built (cached).
	cache map[mdRowsKey]*mdRows
}

func newMDRenderer(p *plan.Plan, opts MarkdownOptions) *mdRenderer {
	r := &mdRenderer{p: p, opts: opts, results: map[string]plan.Result{}, byID: make(map[string]plan.Change, len(p.Changes)),
		unchanged: map[string]bool{}, cache: map[mdRowsKey]*mdRows{}}
	for _, res := range opts.Results {
		r.results[res.ChangeID] = res
		if res.Outcome == plan.Unchanged {
			r.unchanged[res.ChangeID] = true
		}
	}
	for _, c := range p.Changes {
		r.byID[c.ID] = c
	}
	return r
}

// applying says whether the summary is of an apply (results) rather than a plan.
func (r *mdRenderer) applying() bool { return r.opts.Mode.Applies() }

// render is the summary (or comment) at one level of detail, its sections in order.
func (r *mdRenderer) render(d Detail) string {
	r.detail = d
	if d >= DetailBucketLines {
		return r.lines()
	}
	var b strings.Builder
	r.header(&b)
	r.note(&b)
	r.shout(&b)
	r.blockerRows().write(&b)
	if r.applying() && !r.opts.Comment {
		r.applyResults(&b)
	}
	if len(r.p.Accounts) == 0 {
		r.accountSections(&b)
	}
	// A plan over several accounts has a section per account, under a heading naming it.
	for _, a := range r.p.Accounts {
		part := *r
		part.p = r.p.ForAccount(a)
		fmt.Fprintf(&b, "### %s\n\n", mdText(accountHeading(r.p, a, len(part.p.Buckets))))
		part.accountSections(&b)
	}
	if r.opts.Comment {
		return b.String()
	}
	r.hiddenRows().write(&b)
	r.cost(&b)
	r.footer(&b)
	return b.String()
}

// accountSections are the sections about one account's buckets and keys.
func (r *mdRenderer) accountSections(b *strings.Builder) {
	r.buckets(b)
	if !r.applying() {
		r.changes(b)
	}
	r.readers(b)
	if r.opts.Comment {
		return
	}
	r.keyFindings(b)
	r.warningRows().write(b)
	r.otherDetails(b)
	r.objects(b)
	r.unmanaged(b)
}

// header is the verdict line, then what the summary is about.
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
	meta = append(meta, Plural(len(r.p.Buckets), "bucket", "buckets"))
	fmt.Fprintf(b, "<sub>%s</sub>\n\n", strings.Join(meta, " · "))
}

// mdModeName is the command the summary is of: plan, or apply.
func mdModeName(mode plan.Mode) plan.Mode {
	if mode.Applies() {
		return plan.ModeApply
	}
	return plan.ModePlan
}

// footer points at the JSON plan and says which sseguard made the summary.
func (r *mdRenderer) footer(b *strings.Builder) {
	var parts []string
	if r.opts.JSONFile != "" {
		parts = append(parts, fmt.Sprintf("The full plan is in %s (the `plan-json` output).", mdText(r.opts.JSONFile)))
	}
	if r.opts.Version != "" {
		parts = append(parts, "sseguard "+mdText(r.opts.Version))
	}
	if len(parts) > 0 {
		fmt.Fprintf(b, "<sub>%s</sub>\n", strings.Join(parts, " · "))
	}
}

// change is the plan's change with id.
func (r *mdRenderer) change(id string) (plan.Change, bool) {
	c, ok := r.byID[id]
	return c, ok
}

// bucketInSync says whether a bucket needed nothing (plan.BucketInSync, with the results indexed).
func (r *mdRenderer) bucketInSync(bs plan.BucketStatus) bool {
	if bs.Status != plan.Drift || !r.applying() {
		return bs.Status == plan.InSync
	}
	for _, id := range bs.Changes {
		if !r.unchanged[id] {
			return false
		}
	}
	return true
}
