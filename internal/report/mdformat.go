package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Plural counts n things: "1 bucket", "3 buckets".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// mdLine is a policy line number, or a dash for none.
func mdLine(n int) string {
	if n <= 0 {
		return "—"
	}
	return fmt.Sprint(n)
}

// mdOr escapes s, or shows a dash for nothing.
func mdOr(s string) string {
	if s == "" {
		return "—"
	}
	return mdText(s)
}

// mdCounts is a total with its parts by name, "5 (sse-s3 2, unencrypted 3)", or "0".
func mdCounts(total int, by map[string]int) string {
	if total == 0 {
		return "0"
	}
	var parts []string
	for _, k := range mdSortedKeys(by) {
		if by[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", mdText(k), by[k]))
		}
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

// mdSum adds up the counts of m.
func mdSum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// mdWithDetails is a list item, head, with details as a nested list below it.
func mdWithDetails(head string, details []string) string {
	for _, d := range details {
		head += "\n  - " + mdText(d)
	}
	return head
}

// mdList writes items one a line after heading, then tail; nothing at all when there are none.
func mdList(b *strings.Builder, heading string, items []string, tail string) {
	if len(items) == 0 {
		return
	}
	b.WriteString(heading)
	b.WriteString(strings.Join(items, "\n"))
	b.WriteString("\n\n")
	b.WriteString(tail)
}

// mdSortedKeys is the names of m in order.
func mdSortedKeys(m map[string]int) []string {
	return slices.Sorted(maps.Keys(m))
}
