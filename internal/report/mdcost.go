package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
)

// cost is the cost note: KMS keys and requests, what this plan adds.
func (r *mdRenderer) cost(b *strings.Builder) {
	newKeys, reencrypt := 0, 0
	for _, c := range r.p.Changes {
		if c.Kind == plan.CreateKey {
			newKeys++
		}
	}
	for _, bs := range r.p.Buckets {
		if bs.Objects != nil {
			reencrypt += bs.Objects.TotalToFix()
		}
	}
	// "&#36;" is a dollar sign that GitHub's math syntax ($…$) does not see.
	b.WriteString("#### Cost\n\nEach customer managed KMS key costs &#36;1 a month, and KMS requests are billed (&#36;0.03 per 10,000). S3 Bucket Keys cut the KMS requests S3 makes by up to 99%.")
	if newKeys > 0 {
		fmt.Fprintf(b, " This plan creates %s: about &#36;%d a month more.", Plural(newKeys, "key", "keys"), newKeys)
	}
	if reencrypt > 0 {
		fmt.Fprintf(b, " Re-encrypting %s costs one S3 request each, plus KMS requests.", Plural(reencrypt, "object", "objects"))
	}
	b.WriteString("\n\n")
	var items []string
	prices := ""
	for _, c := range r.p.Changes {
		if c.Cost == nil {
			continue
		}
		var lines []string
		for _, it := range c.Cost.Items {
			lines = append(lines, plan.ItemText(it))
		}
		lines = append(lines, c.Cost.Notes...)
		items = append(items, mdWithDetails("- **"+mdText(c.Bucket)+"**: "+mdText(plan.CostText(c.Cost)), lines))
		prices = c.Cost.Prices
	}
	if len(items) == 0 {
		return
	}
	b.WriteString("Estimated cost of re-encrypting existing objects, by bucket:\n\n")
	for _, it := range items {
		b.WriteString(it + "\n")
	}
	fmt.Fprintf(b, "\n%s\n\n", mdText(prices))
}
