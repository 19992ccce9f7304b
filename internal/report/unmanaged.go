package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/sanitize"
)

// The account's buckets the policy does not name (unmanaged_buckets: report) in every view: a
// section of the text, a collapsed section of the job summary, plan.unmanaged_buckets in the
// JSON. Every value from AWS is escaped like the rest (names are S3 bucket names, but error
// messages are AWS's own text).

// unmanagedScope says which regions were listed, for a heading.
func unmanagedScope(u *plan.Unmanaged) string {
	if u.AllRegions || len(u.Regions) == 0 {
		return "all regions"
	}
	if len(u.Regions) == 1 {
		return "region " + u.Regions[0]
	}
	return "regions " + strings.Join(u.Regions, ", ")
}

// unmanagedEncryption is a bucket's encryption cell: the rule in words, or why it is unknown.
func unmanagedEncryption(b plan.UnmanagedBucket) string {
	if b.Error != "" {
		return "could not be read: " + b.Error
	}
	return b.Encryption
}

// textUnmanaged writes the text section.
func textUnmanaged(tw *errWriter, p *plan.Plan) {
	u := p.Unmanaged
	if u == nil {
		return
	}
	head := fmt.Sprintf("Buckets the policy does not name (%s; reported, never changed)", sanitize.Line(unmanagedScope(u)))
	switch {
	case u.Error != "":
		tw.printf("%s: could not be listed: %s\n\n", head, sanitize.Line(u.Error))
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
	if u.Error != "" {
		fmt.Fprintf(b, "> [!WARNING]\n> The account's buckets (%s) could not be listed for `unmanaged_buckets: report`: %s\n\n", scope, mdText(u.Error))
		return
	}
	fmt.Fprintf(b, "<details><summary>Buckets the policy does not name: %d (%s; reported, never changed)</summary>\n\n", len(u.Buckets), scope)
	if len(u.Buckets) == 0 {
		b.WriteString("None.\n\n</details>\n\n")
		return
	}
	b.WriteString("| bucket | region | default encryption |\n|---|---|---|\n")
	for _, ub := range u.Buckets {
		enc := mdOr(ub.Encryption)
		if ub.Error != "" {
			enc = "⚠️ could not be read: " + mdText(ub.Error)
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", mdText(ub.Name), mdOr(ub.Region), enc)
	}
	b.WriteString("\n</details>\n\n")
}

// JSONUnmanaged is the account's buckets the policy does not name (unmanaged_buckets: report).
type JSONUnmanaged struct {
	// AllRegions says every region was listed; otherwise Regions are the regions listed.
	AllRegions bool     `json:"all_regions"`
	Regions    []string `json:"regions,omitempty"`
	// Buckets are sorted by name; empty when the listing failed (Error says why).
	Buckets []JSONUnmanagedBucket `json:"buckets"`
	Error   string                `json:"error,omitempty"`
}

// JSONUnmanagedBucket is one bucket the policy does not name.
type JSONUnmanagedBucket struct {
	Name   string `json:"name"`
	Region string `json:"region,omitempty"`
	// Encryption is the default encryption in words ("SSE-S3 (AES256)", "SSE-KMS <key> (bucket
	// key)", "none"); empty when it could not be read.
	Encryption string `json:"encryption"`
	// Rule is the rule as read; absent when none is configured or it could not be read.
	Rule  *JSONRule `json:"rule,omitempty"`
	Error string    `json:"error,omitempty"`
	// Account is the bucket's account, when the policy lists several.
	Account string `json:"account,omitempty"`
}

// jsonUnmanaged converts the plan's unmanaged buckets; nil when the policy did not ask.
func jsonUnmanaged(u *plan.Unmanaged) *JSONUnmanaged {
	if u == nil {
		return nil
	}
	out := &JSONUnmanaged{AllRegions: u.AllRegions, Regions: u.Regions, Error: u.Error, Buckets: make([]JSONUnmanagedBucket, 0, len(u.Buckets))}
	for _, b := range u.Buckets {
		jb := JSONUnmanagedBucket{Name: b.Name, Region: b.Region, Encryption: b.Encryption, Error: b.Error, Account: b.Account}
		if b.Rule != nil {
			jb.Rule = observedRule(b.Rule)
		}
		out.Buckets = append(out.Buckets, jb)
	}
	return out
}
