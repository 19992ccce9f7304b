package prcomment

import (
	"math"
	"net/url"
	"regexp"
	"strings"

	"github.com/sseguard/sseguard/internal/approval"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/report"
)

// MaxBody is the most bytes a comment sseguard writes may hold. GitHub refuses an issue comment
// over 65,536 characters (422 "Body is too long (maximum is 65536 characters)", REST API
// endpoints for issue comments, https://docs.github.com/en/rest/issues/comments); counting
// bytes, which are never fewer than characters, keeps every body under it whatever it holds.
const MaxBody = 60000

// Options says what a comment says besides the plan.
type Options struct {
	// PolicyPath is the policy file's path in the repository: the comment's marker holds it.
	PolicyPath string
	// RunURL links the run whose job summary holds the full plan; empty leaves the link out.
	// Only an http(s) URL without spaces, quotes, angle brackets or parentheses is linked.
	RunURL string
	// Commit is the pull request's head commit the plan was made for; only a full hexadecimal
	// SHA is shown.
	Commit string
	// Approval is the fingerprint of the exact plan (not the copy redacted for people), kept in
	// the comment's hidden third line for the apply after the merge; nil leaves it out.
	Approval *approval.Fingerprint
}

// keptSections are the parts of the job summary the comment keeps, after the verdict: what a
// reviewer needs to approve the change. The rest (key policy findings, warnings, change details,
// existing objects, cost) is in the run's job summary, which the comment links.
var keptSections = []string{"#### ⛔ Blockers", "#### Buckets", "#### Changes", "#### Readers and replication"}

// PlanBody is the comment for a plan: the hidden marker and status, a "back in sync" line when
// the previous version of the comment showed drift, blockers or a failure, then the plan
// rendered by package report (verdict, blockers, the per-bucket table, changes) and a footer
// that links the run's full job summary. previous is the body of the comment being replaced ("" for a
// new one). Every value from AWS or the policy is escaped by report (no HTML, no links, no
// @mentions, no line breaks); the footer holds only values checked here.
func PlanBody(p *plan.Plan, opts Options, previous string) string {
	status := StatusDrift
	switch {
	case len(p.Blockers) > 0:
		status = StatusBlocked
	case p.InSync():
		status = StatusInSync
	}
	var b strings.Builder
	b.WriteString(Marker(opts.PolicyPath) + "\n" + statusLine(status) + "\n")
	if opts.Approval != nil {
		b.WriteString(ApprovalLine(*opts.Approval) + "\n")
	}
	b.WriteString("\n")
	if status == StatusInSync {
		if prev := previousStatus(previous); prev != "" && prev != StatusInSync {
			b.WriteString("**✅ Back in sync.** An earlier run on this pull request showed ")
			b.WriteString(map[Status]string{StatusDrift: "changes pending", StatusBlocked: "blockers",
				StatusFailed: "a failed run"}[prev])
			b.WriteString("; the account now matches the policy.\n\n")
		}
	}
	footer := footer(opts, "the full plan: key policies, warnings, change details, existing objects and cost")
	budget := MaxBody - b.Len() - len(footer)
	if md := planMarkdown(p, budget); md != "" {
		b.WriteString(md)
	} else {
		b.WriteString("The plan is too long for a comment.\n\n")
	}
	b.WriteString(footer)
	return b.String()
}

// FailureBody is the comment for a run that stopped before it had a plan (an invalid policy, an
// error): the failure line report renders (what is escaped there) and a pointer to the run, so
// that an earlier plan is not left standing as if it were current.
func FailureBody(what string, opts Options) string {
	var b strings.Builder
	b.WriteString(Marker(opts.PolicyPath) + "\n" + statusLine(StatusFailed) + "\n\n")
	b.WriteString(report.MarkdownFailure("plan", what, nil))
	b.WriteString(footer(opts, "why, with the annotations on the policy file's lines"))
	return b.String()
}

// planMarkdown renders the plan as report's job summary does, keeping the header and the kept
// sections. A plan too big for budget gets report's compact form (verdict, counts, blockers as
// many as fit); "" when even that does not fit.
func planMarkdown(p *plan.Plan, budget int) string {
	full := report.Markdown(p, report.MarkdownOptions{Mode: "plan", MaxBytes: math.MaxInt})
	if md := keepSections(full); len(md) <= budget {
		return md
	}
	if budget <= 0 {
		return ""
	}
	// Room for the word joiners noReferences adds.
	for _, limit := range []int{budget, budget * 3 / 4, budget / 2} {
		if md := report.Markdown(p, report.MarkdownOptions{Mode: "plan", MaxBytes: limit}); len(md) <= budget {
			return md
		}
	}
	return ""
}

// keepSections cuts report's job summary before its first section that is not kept. Each section
// of it starts on a line of its own with "#### " (or "<details>" for folded ones), and no value
// from AWS or the policy can start a line there (report shows line breaks in values as \x0a and
// encodes '#' and '<'), so the cut always falls between two of report's own sections.
func keepSections(md string) string {
	lines := strings.SplitAfter(md, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "<details>") {
			return strings.Join(lines[:i], "")
		}
		if !strings.HasPrefix(l, "#### ") {
			continue
		}
		kept := false
		for _, k := range keptSections {
			if strings.HasPrefix(l, k) {
				kept = true
				break
			}
		}
		if !kept {
			return strings.Join(lines[:i], "")
		}
	}
	return md
}

var (
	shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	// linkableRE is what may go between a markdown link's parentheses as it is: enough for
	// SERVER/OWNER/REPO/actions/runs/ID, nothing that could end the link or start markup.
	linkableRE = regexp.MustCompile(`^[A-Za-z0-9._~:/%-]+$`)
)

// footer links the run's job summary for what the comment leaves out.
func footer(opts Options, what string) string {
	var parts []string
	if u := linkable(opts.RunURL); u != "" {
		parts = append(parts, "The run's [job summary]("+u+") has "+what+".")
	} else {
		parts = append(parts, "The run's job summary has "+what+".")
	}
	if shaRE.MatchString(opts.Commit) {
		parts = append(parts, "Planned for commit "+opts.Commit[:12]+".")
	}
	parts = append(parts, "sseguard updates this comment on every run for this pull request and never applies from one.")
	if opts.Approval != nil {
		parts = append(parts, "Once merged, the apply compares its plan with the one shown here (its digest is kept in this comment) and, unless told otherwise, applies nothing that differs.")
	}
	return "---\n<sub>" + strings.Join(parts, " ") + "</sub>\n"
}

// linkable returns u when it is an http(s) URL safe to place in a markdown link as it is.
func linkable(u string) string {
	if !linkableRE.MatchString(u) {
		return ""
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		return ""
	}
	return u
}
