package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
)

// buckets is the table of buckets: required, observed and status, one row each.
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

// bucketStatus is a bucket's status cell: in sync, blocked by which blockers, or its changes
// (with their outcomes, in apply).
func (r *mdRenderer) bucketStatus(bs plan.BucketStatus) string {
	switch {
	case bs.Status == plan.InSync:
		return "✅ in sync"
	case r.applying() && r.bucketInSync(bs):
		// Apply found its changes had nothing to do (a scan found every object right).
		return "✅ in sync"
	case bs.Status == plan.Blocked:
		var codes []string
		for _, bl := range r.blockersOf(bs.Name) {
			codes = append(codes, mdText(bl.Code))
		}
		return strings.TrimSuffix("⛔ blocked: "+strings.Join(codes, ", "), ": ")
	}
	parts := r.kinds(bs.Changes)
	if r.applying() {
		return strings.Join(parts, "<br>")
	}
	return strings.TrimSuffix("🟠 drift: "+strings.Join(parts, ", "), ": ")
}

// kinds names the kind of each change, with its outcome's icon in apply.
func (r *mdRenderer) kinds(ids []string) []string {
	var parts []string
	for _, id := range ids {
		kind := id
		if c, ok := r.change(id); ok {
			kind = string(c.Kind)
		}
		item := mdText(kind)
		if r.applying() {
			res, ok := r.results[id]
			item = strings.Fields(mdOutcome(res, ok))[0] + " " + item
		}
		parts = append(parts, item)
	}
	return parts
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

// changes is the table of the plan's changes, before and after (plan only).
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
