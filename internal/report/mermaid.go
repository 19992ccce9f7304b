package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// mdSlice is one slice of a pie chart.
type mdSlice struct {
	label string
	n     int
}

// mdPie draws a Mermaid pie chart; slices of zero are left out.
func mdPie(b *strings.Builder, title string, slices []mdSlice) {
	fmt.Fprintf(b, "```mermaid\npie showData title %s\n", mdMermaidLabel(title))
	for _, s := range slices {
		if s.n > 0 {
			fmt.Fprintf(b, "    \"%s\" : %d\n", mdMermaidLabel(s.label), s.n)
		}
	}
	b.WriteString("```\n\n")
}

// mdMermaidLabel keeps a label inside its quotes and its line: letters, digits, spaces and - _ /.
func mdMermaidLabel(s string) string {
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" -_/", r)) {
			return r
		}
		return ' '
	}, s)
}
