package prcomment

import (
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
	// Summary is what the run's job summary holds, as report rendered it; nil when the run wrote
	// none (the footer then points at the run's log, which holds the plan as text).
	Summary *report.Shown
	// JSONFile is the JSON plan the run wrote, as its plan-json output names it; empty for none.
	JSONFile string
	// Version is the sseguard that made the comment (version.Info.Short); the footer says it,
	// escaped. Empty leaves it out.
	Version string
}

// PlanBody is the comment for a plan: the hidden marker and status, a "back in sync" line when
// the previous version of the comment showed drift, blockers or a failure, then the plan
// rendered by package report for a comment and a footer that says what the run's job summary
// holds, truly, and where the JSON plan is. previous is the body of the comment being replaced
// ("" for a new one).
//
// The plan sheds detail as the job summary does, to stay under MaxBody: the verdict, blockers,
// the buckets (a table) and the changes while they fit; then one line per bucket (name, policy
// line, kinds of change, blockers); then only the buckets that drift or are blocked; past that,
// each list says how many it left out and where the whole list is. Every value from AWS or the
// policy is escaped by report (no HTML, no links, no @mentions, no line breaks); the footer holds
// only values checked or escaped here.
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
	footer := planFooter(opts)
	budget := MaxBody - b.Len() - len(footer)
	md, _ := report.MarkdownShown(p, report.MarkdownOptions{Mode: plan.ModePlan, Comment: true, MaxBytes: budget, Elsewhere: elsewhere(opts)})
	if len(md) <= budget {
		b.WriteString(md)
	} else {
		b.WriteString("The plan is too long for a comment.\n\n")
	}
	b.WriteString(footer)
	return b.String()
}

// elsewhere is where a list the comment cuts short is whole: the job summary when it lists every
// bucket that drifts or is blocked, every blocker and every key, else the JSON plan.
func elsewhere(opts Options) string {
	if s := opts.Summary; s != nil && s.LeftOut.Buckets == 0 && s.LeftOut.Blockers == 0 && s.LeftOut.Keys == 0 {
		return "the run's job summary"
	}
	if opts.JSONFile != "" {
		return "the JSON plan " + opts.JSONFile + " the run wrote"
	}
	return "the run's log"
}

// planFooter says what the run's job summary holds and where the JSON plan is.
func planFooter(opts Options) string {
	var parts []string
	link := "job summary"
	if u := linkable(opts.RunURL); u != "" {
		link = "[job summary](" + u + ")"
	}
	if opts.Summary != nil {
		parts = append(parts, "The run's "+link+" has "+opts.Summary.Holds()+".")
	} else {
		parts = append(parts, "The run's log has the whole plan (the run wrote no job summary).")
	}
	if opts.JSONFile != "" {
		parts = append(parts, "The whole plan is in the JSON file "+report.MarkdownText(opts.JSONFile)+" the run wrote (its `plan-json` output).")
	}
	return footerOf(opts, parts)
}

// FailureBody is the comment for a run that stopped before it had a plan (an invalid policy, an
// error): the failure line report renders (what is escaped there) and a pointer to the run, so
// that an earlier plan is not left standing as if it were current.
func FailureBody(what string, opts Options) string {
	var b strings.Builder
	b.WriteString(Marker(opts.PolicyPath) + "\n" + statusLine(StatusFailed) + "\n\n")
	b.WriteString(report.MarkdownFailure(plan.ModePlan, what, nil, "")) // the footer below names the version
	b.WriteString(footer(opts, "why, with the annotations on the policy file's lines"))
	return b.String()
}

var (
	shaRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
	// linkableRE is what may go between a markdown link's parentheses as it is: enough for
	// SERVER/OWNER/REPO/actions/runs/ID, nothing that could end the link or start markup.
	linkableRE = regexp.MustCompile(`^[A-Za-z0-9._~:/%-]+$`)
)

// footer links the run's job summary for what the comment leaves out.
func footer(opts Options, what string) string {
	if u := linkable(opts.RunURL); u != "" {
		return footerOf(opts, []string{"The run's [job summary](" + u + ") has " + what + "."})
	}
	return footerOf(opts, []string{"The run's job summary has " + what + "."})
}

// footerOf ends a comment: what it says of the run, the commit planned, the sseguard version, and
// that sseguard keeps the comment up to date.
func footerOf(opts Options, parts []string) string {
	if shaRE.MatchString(opts.Commit) {
		parts = append(parts, "Planned for commit "+opts.Commit[:12]+".")
	}
	if opts.Version != "" {
		parts = append(parts, "Made by sseguard "+report.MarkdownText(opts.Version)+".")
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
