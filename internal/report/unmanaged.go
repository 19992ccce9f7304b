package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/sanitize"
	"github.com/sseguard/sseguard/internal/state"
)

// The account's buckets the policy does not name (unmanaged_buckets: report) in the views for
// people: a section of the text, a collapsed section of the job summary (the JSON plan's
// plan.unmanaged_buckets is package jsonplan's). Every value from AWS is escaped like the rest (names are S3 bucket names, but error
// messages are AWS's own text).

// unmanagedScope says which regions were listed, for a heading.
func unmanagedScope(u *state.Unmanaged) string {
	if u.AllRegions || len(u.Regions) == 0 {
		return "all regions"
	}
	if len(u.Regions) == 1 {
		return "region " + u.Regions[0]
	}
	return "regions " + strings.Join(u.Regions, ", ")
}

// unmanagedEncryption is a bucket's encryption cell: the rule in words, or why it is unknown.
func unmanagedEncryption(b state.UnmanagedBucket) string {
	if b.Err != "" {
		return "could not be read: " + b.Err
	}
	return plan.DescribeObserved(b.Rule)
}

// textUnmanaged writes the text section.
func textUnmanaged(tw *errWriter, p *plan.Plan) {
	u := p.Unmanaged
	if u == nil {
		return
	}
	head := fmt.Sprintf("Buckets the policy does not name (%s; reported, never changed)", sanitize.Line(unmanagedScope(u)))
	switch {
	case u.Err != "":
		tw.printf("%s: could not be listed: %s\n\n", head, sanitize.Line(u.Err))
		return
	case len(u.Buckets) == 0:
		tw.printf("%s: none\n\n", head)
		return
	}
	tw.printf("%s: %d\n", head, len(u.Buckets))
	width := 0
	for _, b := range u.Buckets {
		width = max(width, len(b.Name))
	}
	for _, b := range u.Buckets {
		region := b.Region
		if region == "" {
			region = "?"
		}
		tw.printf("  %-*s  %-14s  %s\n", width, sanitize.Line(b.Name), sanitize.Line(region), sanitize.Line(unmanagedEncryption(b)))
	}
	tw.printf("\n")
}

// unmanaged writes the job summary's collapsed section.
func (r *mdRenderer) unmanaged(b *strings.Builder) {
	u := r.p.Unmanaged
	if u == nil {
		return
	}
	scope := mdText(unmanagedScope(u))
	if u.Err != "" {
		fmt.Fprintf(b, "> [!WARNING]\n> The account's buckets (%s) could not be listed for `unmanaged_buckets: report`: %s\n\n", scope, mdText(u.Err))
		return
	}
	fmt.Fprintf(b, "<details><summary>Buckets the policy does not name: %d (%s; reported, never changed)</summary>\n\n", len(u.Buckets), scope)
	if len(u.Buckets) == 0 {
		b.WriteString("None.\n\n</details>\n\n")
		return
	}
	b.WriteString("| bucket | region | default encryption |\n|---|---|---|\n")
	for _, ub := range u.Buckets {
		enc := mdOr(plan.DescribeObserved(ub.Rule))
		if ub.Err != "" {
			enc = "⚠️ could not be read: " + mdText(ub.Err)
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", mdText(ub.Name), mdOr(ub.Region), enc)
	}
	b.WriteString("\n</details>\n\n")
}
