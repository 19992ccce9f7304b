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

// mdKeyTarget names the key a key change is to: its alias, else its ARN.
func mdKeyTarget(c plan.Change) string {
	if c.Alias != "" {
		return c.Alias
	}
	return c.KeyARN
}

// keyFindings lists what is wrong with each key policy and rotation, statement by statement.
func (r *mdRenderer) keyFindings(b *strings.Builder) {
	var items []string
	for _, c := range r.p.Changes {
		if !mdIsKeyKind(c.Kind) {
			continue
		}
		head := fmt.Sprintf("- **%s** %s (%s, line %s): %s → %s", mdText(string(c.Kind)), mdOr(mdKeyTarget(c)), mdOr(c.Region),
			mdLine(c.Line), mdOr(c.Before), mdOr(c.After))
		items = append(items, mdWithDetails(head, r.details(c)))
	}
	mdList(b, "#### Key policies and rotation\n\n", items, "")
}

// warningRows lists the plan's warnings with what they are about.
func (r *mdRenderer) warningRows() *mdRows {
	if l, ok := r.cached(rowsWarnings); ok {
		return l
	}
	var rows []string
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
		rows = append(rows, fmt.Sprintf("- ⚠️ **%s**%s: %s\n", mdText(w.Code), where, mdText(w.Message)))
	}
	return r.rows(rowsWarnings, "#### Warnings\n\n", rows, r.moreRow(rowsWarnings, 0), "\n")
}

// otherDetails shows the finer lines of bucket changes (bucket policy statements, object counts),
// folded: the tables above already say what changes.
func (r *mdRenderer) otherDetails(b *strings.Builder) {
	var items []string
	for _, c := range r.p.Changes {
		details := r.details(c)
		if mdIsKeyKind(c.Kind) || len(details) == 0 {
			continue
		}
		items = append(items, mdWithDetails("- **"+mdText(c.ID)+"**", details))
	}
	mdList(b, "<details><summary>Change details</summary>\n\n", items, "</details>\n\n")
}

// details are a change's detail lines at the level of detail shown: without the statement lines
// of key and bucket policy changes from DetailNoStatements on, and without the objects named as
// samples from DetailNoSamples on.
func (r *mdRenderer) details(c plan.Change) []string {
	switch {
	case r.detail >= DetailNoStatements && (mdIsKeyKind(c.Kind) || c.Kind == plan.UpdateBucketPolicy):
		return nil
	case r.detail >= DetailNoSamples && c.Kind == plan.ReencryptObjects:
		samples := map[string]bool{}
		for _, bs := range r.p.Buckets {
			if bs.Name == c.Bucket && bs.Objects != nil {
				for _, d := range plan.SampleDetails(bs.Objects.Sample, bs.Objects.TotalToFix()) {
					samples[d] = true
				}
			}
		}
		var out []string
		for _, d := range c.Details {
			if !samples[d] {
				out = append(out, d)
			}
		}
		return out
	}
	return c.Details
}
