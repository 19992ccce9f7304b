package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
)

// objects is the existing objects section: counts per bucket, a few objects to fix, and a pie
// of the objects by encryption.
func (r *mdRenderer) objects(b *strings.Builder) {
	var rows []plan.BucketStatus
	for _, bs := range r.p.Buckets {
		if objectsOf(bs, r.opts.Results) != nil {
			rows = append(rows, bs)
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("#### Existing objects\n\n")
	if r.applying() {
		b.WriteString("| bucket | scanned | compliant | to fix | skipped | noncurrent versions | fixed | failed | remaining |\n|---|--:|--:|---|---|--:|--:|--:|--:|\n")
	} else {
		b.WriteString("| bucket | scanned | compliant | to fix | skipped | noncurrent versions |\n|---|--:|--:|---|---|--:|\n")
	}
	total := map[string]int{}
	var samples []string
	for _, bs := range rows {
		o := objectsOf(bs, r.opts.Results)
		fmt.Fprintf(b, "| %s | %d | %d | %s | %s | %d |", mdText(bs.Name), o.Scanned, o.Compliant,
			mdCounts(o.TotalToFix(), o.ToFix), mdCounts(mdSum(o.Skipped), o.Skipped), o.Noncurrent)
		if r.applying() {
			fmt.Fprintf(b, " %d | %d | %d |", o.Fixed, o.Failed, o.Remaining)
		}
		b.WriteString("\n")
		total["compliant"] += o.Compliant
		for k, v := range o.ToFix {
			total[k] += v
		}
		total["skipped"] += mdSum(o.Skipped)
		for i, s := range o.Sample {
			if i == 5 || r.detail >= DetailNoSamples {
				break
			}
			line := fmt.Sprintf("- %s: %s (%s", mdText(bs.Name), mdText(s.Key), mdText(s.Kind))
			if s.Observed != "" {
				line += ", " + mdText(s.Observed)
			}
			samples = append(samples, line+")")
		}
	}
	b.WriteString("\n")
	var sources []string
	for _, bs := range rows {
		if s := sourceText(objectsOf(bs, r.opts.Results).Source); s != "" {
			sources = append(sources, fmt.Sprintf("- %s: %s", mdText(bs.Name), mdText(s)))
		}
	}
	mdList(b, "", sources, "\n")
	mdList(b, "<details><summary>Some of the objects to fix</summary>\n\n", samples, "</details>\n\n")
	var slices []mdSlice
	for _, k := range mdSortedKeys(total) {
		slices = append(slices, mdSlice{k, total[k]})
	}
	// compliant first, then what needs work
	sort.SliceStable(slices, func(i, j int) bool { return slices[i].label == "compliant" && slices[j].label != "compliant" })
	nonzero := 0
	for _, s := range slices {
		if s.n > 0 {
			nonzero++
		}
	}
	if nonzero >= 2 {
		mdPie(b, "Objects by encryption", slices)
	}
}
