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

// mdRenderer renders one job summary; each section writes itself to a strings.Builder.
type mdRenderer struct {
	p       *plan.Plan
	opts    MarkdownOptions
	results map[string]plan.Result
}

// applying says whether the summary is of an apply (results) rather than a plan.
func (r *mdRenderer) applying() bool { return r.opts.Mode == "apply" }

// full is the whole summary, its sections in order.
func (r *mdRenderer) full() string {
	var b strings.Builder
	r.header(&b)
	r.shout(&b)
	r.blockersBudget(&b, -1)
	if r.applying() {
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
	r.keyFindings(b)
	r.warnings(b)
	r.otherDetails(b)
	r.objects(b)
	r.unmanaged(b)
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
	meta = append(meta, mdPlural(len(r.p.Buckets), "bucket", "buckets"))
	fmt.Fprintf(b, "<sub>%s</sub>\n\n", strings.Join(meta, " · "))
}

// mdModeName is the command the summary is of: plan, or apply.
func mdModeName(mode string) string {
	if mode == "apply" {
		return "apply"
	}
	return "plan"
}

// footer points at the JSON plan.
func (r *mdRenderer) footer(b *strings.Builder) {
	if r.opts.JSONFile != "" {
		fmt.Fprintf(b, "<sub>The full plan is in %s (the `plan-json` output).</sub>\n", mdText(r.opts.JSONFile))
	}
}
