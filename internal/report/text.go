// Package report renders plans and apply results for people: terminal text, job-summary markdown
// and annotations (the JSON plan for programs is package jsonplan's). It does no I/O beyond the
// writer it is given.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/sanitize"
	"github.com/sseguard/sseguard/internal/state"
)

// Text writes the plan for a terminal: blockers first, then each change, then a verdict line.
// A plan over several accounts has these sections once per account, under a header line naming
// the account, and one verdict for the whole.
func Text(w io.Writer, p *plan.Plan) error {
	tw := &errWriter{w: w}
	if len(p.Accounts) == 0 {
		textBody(tw, p)
	}
	for _, a := range p.Accounts {
		part := p.ForAccount(a)
		tw.printf("%s\n\n", accountHeading(p, a, len(part.Buckets)))
		textBody(tw, part)
	}
	tw.printf("%s\n", Verdict(p))
	return tw.err
}

// accountHeading names an account of a plan over several, with its bucket count.
func accountHeading(p *plan.Plan, account string, buckets int) string {
	role := ""
	if account == p.Account {
		role = " (home)"
	}
	return fmt.Sprintf("Account %s%s: %s", sanitize.Line(account), role, Plural(buckets, "bucket", "buckets"))
}

// textBody writes the plan's sections, without the verdict.
func textBody(tw *errWriter, p *plan.Plan) {
	if len(p.Blockers) > 0 {
		tw.printf("Blockers (nothing is changed for these):\n")
		for _, b := range p.Blockers {
			tw.printf("  ✗ %s:%d: [%s] %s\n", p.PolicyPath, b.Line, b.Code, sanitize.Line(b.Message))
		}
		tw.printf("\n")
	}
	if len(p.Changes) > 0 {
		tw.printf("Changes:\n")
		for _, c := range p.Changes {
			tw.printf("  + %s\n", c.ID)
			tw.printf("      %s → %s\n", sanitize.Line(c.Before), sanitize.Line(c.After))
			for _, d := range c.Details {
				tw.printf("      %s\n", sanitize.Line(d))
			}
			textCost(tw, c.Cost)
		}
		tw.printf("\n")
	}
	var scanned []plan.BucketStatus
	for _, b := range p.Buckets {
		if b.Objects != nil {
			scanned = append(scanned, b)
		}
	}
	if len(scanned) > 0 {
		tw.printf("Existing objects:\n")
		for _, b := range scanned {
			o := b.Objects
			tw.printf("  %s: %d scanned, %d as required", sanitize.Line(b.Name), o.Scanned, o.Compliant)
			if n := o.TotalToFix(); n > 0 {
				tw.printf(", %d to fix (%s)", n, countList(o.ToFix))
			}
			if len(o.Skipped) > 0 {
				tw.printf(", skipped: %s", countList(o.Skipped))
			}
			if o.Noncurrent > 0 {
				tw.printf(", %d noncurrent versions", o.Noncurrent)
			}
			if o.Failed > 0 {
				tw.printf(", %d could not be read", o.Failed)
			}
			tw.printf("\n")
			if s := sourceText(o.Source); s != "" {
				tw.printf("    %s\n", sanitize.Line(s))
			}
		}
		tw.printf("\n")
	}
	textReaders(tw, p)
	textUnmanaged(tw, p)
	if len(p.Warnings) > 0 {
		tw.printf("Warnings:\n")
		for _, wn := range p.Warnings {
			tw.printf("  ! %s:%d: [%s] %s\n", p.PolicyPath, wn.Line, wn.Code, sanitize.Line(wn.Message))
		}
		tw.printf("\n")
	}
}

// textCost writes a change's cost estimate, item by item.
func textCost(tw *errWriter, c *plan.Cost) {
	if c == nil {
		return
	}
	tw.printf("      estimated cost: %s\n", sanitize.Line(plan.CostText(c)))
	for _, it := range c.Items {
		tw.printf("        %s\n", sanitize.Line(plan.ItemText(it)))
	}
	for _, n := range c.Notes {
		tw.printf("        note: %s\n", sanitize.Line(n))
	}
	tw.printf("        %s\n", sanitize.Line(c.Prices))
}

// Verdict is the plan's one-line summary.
func Verdict(p *plan.Plan) string {
	var parts []string
	if n := len(p.Blockers); n > 0 {
		parts = append(parts, Plural(n, "blocker", "blockers"))
	}
	if n := len(p.Changes); n > 0 {
		parts = append(parts, Plural(n, "change", "changes")+" pending")
	}
	if len(parts) == 0 {
		return "In sync: " + bucketsMatch(len(p.Buckets))
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(" (%s in the policy).", Plural(len(p.Buckets), "bucket", "buckets"))
}

// countList renders counts by name in a stable order: "3 sse-s3, 2 unencrypted".
func countList(m map[string]int) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, k := range names {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[k], sanitize.Line(k)))
		}
	}
	return strings.Join(parts, ", ")
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}

// sourceText says where a bucket's object counts came from: the inventory and its age, or why
// none was used; "" when there is nothing worth saying (no source, or no inventory configured).
func sourceText(s *state.ObjectSource) string {
	switch {
	case s == nil:
		return ""
	case s.Kind == state.SourceInventory:
		age := time.Duration(s.AgeSeconds) * time.Second
		ages := age.Round(time.Minute).String()
		if age >= 48*time.Hour {
			ages = fmt.Sprintf("%dd", int(age/(24*time.Hour)))
		}
		return fmt.Sprintf("counted from S3 Inventory %s created %s (%s old): %d objects decided by it, %d read with HEAD",
			s.InventoryID, s.Created, ages, s.FromInventory, s.WithHead)
	case s.Reason == "" || s.Reason == state.NoInventoryConfigured:
		return ""
	}
	return "read with HEAD, no inventory used: " + s.Reason
}
