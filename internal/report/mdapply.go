package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
)

// applyVerdict is the apply's verdict line (ApplyVerdict), in markdown.
func (r *mdRenderer) applyVerdict() (string, bool) {
	v, failed := ApplyVerdict(r.p, r.opts.Results)
	return mdText(v), failed
}

// applyResults is the table of every change with its outcome; results for changes the plan does
// not hold come last.
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

// failureRows lists the changes that failed or could not be verified, for the levels without
// the table of every result.
func (r *mdRenderer) failureRows() *mdRows {
	if l, ok := r.cached(rowsFailures); ok {
		return l
	}
	var rows []string
	for _, res := range r.opts.Results {
		if res.Outcome == plan.Failed || res.Outcome == plan.Unverified {
			rows = append(rows, fmt.Sprintf("| %s | %s | %s |\n", mdText(res.ChangeID), mdOutcome(res, true), mdResultDetail(res)))
		}
	}
	return r.rows(rowsFailures, "#### ❌ Failed changes\n\n| change | outcome | error |\n|---|---|---|\n", rows, r.moreRow(rowsFailures, 3), "\n")
}

// mdOutcome is a result's outcome with its icon; ok is false for a change never attempted.
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
	case plan.Unchanged:
		return "✅ unchanged"
	}
	return mdText(string(res.Outcome))
}

// mdResultDetail is a result's error (in bold) and detail.
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
