package report

import (
	"fmt"
	"strings"
)

// MarkdownNote is a GitHub alert block (kind NOTE, WARNING or CAUTION) for the job summary:
// a heading line, then one item per detail; every value escaped like the rest of the summary.
func MarkdownNote(kind, text string, details []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "> [!%s]\n> %s\n", kind, mdText(text))
	for _, d := range details {
		fmt.Fprintf(&b, "> - %s\n", mdText(d))
	}
	b.WriteString("\n")
	return b.String()
}
