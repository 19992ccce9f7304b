package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
)

// mdIsKeyKind says whether a change is to a key (shown with the key findings) rather than a
// bucket.
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
		head := fmt.Sprintf("- **%s** %s (%s, line %s): %s → %s", mdText(string(c.Kind)), mdOr(target), mdOr(c.Region),
			mdLine(c.Line), mdOr(c.Before), mdOr(c.After))
		items = append(items, mdWithDetails(head, c.Details))
	}
	mdList(b, "#### Key policies and rotation\n\n", items, "")
}

// warnings lists the plan's warnings with what they are about.
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
		items = append(items, mdWithDetails("- **"+mdText(c.ID)+"**", c.Details))
	}
	mdList(b, "<details><summary>Change details</summary>\n\n", items, "</details>\n\n")
}
