package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// mdMaxRunes cuts very long values (object keys reach 1024 bytes, policy documents more): the
// summary is for reading, the JSON plan has everything.
const mdMaxRunes = 400

// mdText makes s inert inline markdown, safe in a table cell, a list item or a paragraph:
//
//   - characters markdown, GFM tables, HTML or GitHub's math give a meaning to (\ ` * _ [ ] < >
//     & | # ~ $) become numeric character references, which render as themselves and form no
//     syntax; no backslash is ever emitted before a pipe, so no cell can be closed early;
//   - @ gets a word joiner after it (no mention, no e-mail autolink) and the "://" of a URL and
//     the dot of "www." are encoded (no autolink);
//   - control, format (bidi overrides, zero-width) and line-separator characters are shown as
//     escapes such as \x0a or \u{202E}, so a value cannot start a new line or hide what it says.
//
// Values are only ever placed after other text on a line, so a leading - + = or digit cannot
// start a list or heading.
func mdText(s string) string {
	var b strings.Builder
	runes := []rune(s)
	for i, r := range runes {
		if i == mdMaxRunes {
			b.WriteString("…")
			break
		}
		switch {
		case r == '@':
			b.WriteString("@&#8288;")
		case r == '#':
			// GitHub reads an encoded '#' as '#': a word joiner after it keeps "#42" (or
			// "owner/repo#42") from referencing, and so notifying, an issue.
			b.WriteString("&#35;&#8288;")
		case r == '-' && i >= 2 && i+1 < len(runes) && strings.EqualFold(string(runes[i-2:i]), "gh") && unicode.IsDigit(runes[i+1]):
			b.WriteString("-&#8288;") // nor "GH-42"
		case r == ':' && i+2 < len(runes) && runes[i+1] == '/' && runes[i+2] == '/':
			b.WriteString("&#58;")
		case r == '.' && i >= 3 && strings.EqualFold(string(runes[i-3:i]), "www"):
			b.WriteString("&#46;")
		case r < utf8.RuneSelf && strings.ContainsRune("\\`*_[]<>&|~$", r):
			fmt.Fprintf(&b, "&#%d;", r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || r == utf8.RuneError:
			fmt.Fprintf(&b, `\u{%04X}`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// MarkdownText is a value made inert inline markdown, as every value in the summary is (see
// mdText): for other renderers of sseguard's markdown (the pull request comment's footer).
func MarkdownText(s string) string { return mdText(s) }
