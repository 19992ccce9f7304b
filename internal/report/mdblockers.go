package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
)

// shout puts keys that make data unreadable in a caution box above everything else.
func (r *mdRenderer) shout(b *strings.Builder) {
	var lines []string
	for _, bl := range r.p.Blockers {
		var what string
		switch bl.Code {
		case plan.BlockKeyPendingDelete:
			what = "is pending deletion: objects encrypted under it become unreadable for good once it is deleted."
		case plan.BlockKeyDisabled:
			what = "is disabled: objects encrypted under it cannot be read until it is enabled again."
		default:
			continue
		}
		subject := "A key"
		if bl.Alias != "" {
			subject = "Key " + mdText(bl.Alias)
		}
		where := ""
		if bl.Bucket != "" {
			where = " (bucket " + mdText(bl.Bucket) + ")"
		}
		lines = append(lines, fmt.Sprintf("> **%s%s %s** %s", subject, where, what, mdText(bl.Message)))
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("> [!CAUTION]\n")
	b.WriteString(strings.Join(lines, "\n>\n"))
	b.WriteString("\n\n")
}

// blockersBudget writes the blockers table, stopping before budget bytes (no limit when < 0).
func (r *mdRenderer) blockersBudget(b *strings.Builder, budget int) {
	if len(r.p.Blockers) == 0 {
		return
	}
	start := b.Len()
	b.WriteString("#### ⛔ Blockers: nothing is changed for these\n\n| blocker | bucket | key | line | what is wrong |\n|---|---|---|---|---|\n")
	for i, bl := range r.p.Blockers {
		row := fmt.Sprintf("| %s | %s | %s | %s | %s |\n", mdText(bl.Code), mdOr(bl.Bucket), mdOr(bl.Alias), mdLine(bl.Line), mdText(bl.Message))
		if budget >= 0 && b.Len()-start+len(row) > budget {
			fmt.Fprintf(b, "| … | %d more blockers in the JSON plan | | | |\n", len(r.p.Blockers)-i)
			break
		}
		b.WriteString(row)
	}
	b.WriteString("\n")
}
