//go:build ignore

// render-summary turns one of sseguard's job-summary goldens into a GitHub-like HTML page (with
// its Mermaid pie charts drawn as SVG), and crops the screenshot of it. It understands the
// markdown subset report.Markdown writes, nothing more: it is for the README's picture, run by
// docs/render-summary.sh.
//
//	go run docs/render-summary.go html SUMMARY.md OUT.html
//	go run docs/render-summary.go crop SHOT.png
package main

import (
	"fmt"
	"html"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: render-summary html SUMMARY.md OUT.html | crop SHOT.png")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "html":
		err = renderHTML(os.Args[2], os.Args[3])
	case "crop":
		err = crop(os.Args[2])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "render-summary:", err)
		os.Exit(1)
	}
}

const style = `
body { margin: 0; background: #f6f8fa; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, "Liberation Sans", sans-serif, "Noto Color Emoji"; font-size: 14px; line-height: 1.5; color: #1f2328; }
.run { padding: 24px; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; }
.card > h2 { margin: 0; padding: 16px 24px; font-size: 16px; font-weight: 600; border-bottom: 1px solid #d0d7de; }
.card > h2 span { color: #59636e; font-weight: 400; }
.md { padding: 8px 24px 24px; }
h3 { font-size: 1.25em; font-weight: 600; margin: 24px 0 16px; }
h4 { font-size: 1em; font-weight: 600; margin: 24px 0 12px; }
p { margin: 0 0 16px; }
table { border-collapse: collapse; margin: 0 0 16px; display: block; width: max-content; max-width: 100%; overflow: auto; }
th, td { border: 1px solid #d0d7de; padding: 6px 13px; vertical-align: top; }
th { font-weight: 600; }
tr:nth-child(2n) { background: #f6f8fa; }
td.r, th.r { text-align: right; }
code { font-family: ui-monospace, SFMono-Regular, "Liberation Mono", Menlo, monospace; font-size: 85%; background: rgba(175,184,193,0.2); padding: .2em .4em; border-radius: 6px; }
ul { margin: 0 0 16px; padding-left: 2em; }
ul ul { margin: 0; }
li + li { margin-top: .25em; }
sub { color: #59636e; }
.alert { padding: 8px 16px; margin: 0 0 16px; border-left: .25em solid; }
.alert p:last-child { margin-bottom: 0; }
.alert .title { font-weight: 500; display: flex; align-items: center; gap: 8px; margin-bottom: 4px; }
.alert.caution { border-color: #cf222e; } .alert.caution .title { color: #d1242f; }
.alert.warning { border-color: #9a6700; } .alert.warning .title { color: #9a6700; }
details { margin: 0 0 16px; } summary { cursor: pointer; }
.pie { margin: 0 0 16px; display: flex; justify-content: center; }
`

var palette = []string{"#ECECFF", "#ffffde", "#b9b9ff", "#e4e4a4", "#c2c2ff", "#d3d3ad"}

func renderHTML(in, out string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var h strings.Builder
	h.WriteString("<!doctype html><html><head><meta charset=\"utf-8\"><style>" + style + "</style></head><body><div class=\"run\"><div class=\"card\">")
	h.WriteString("<h2>plan summary <span>· sseguard</span></h2><div class=\"md\">")
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	for i := 0; i < len(lines); {
		line := lines[i]
		switch {
		case line == "":
			i++
		case strings.HasPrefix(line, "#### "):
			fmt.Fprintf(&h, "<h4>%s</h4>\n", inline(line[5:]))
			i++
		case strings.HasPrefix(line, "### "):
			fmt.Fprintf(&h, "<h3>%s</h3>\n", inline(line[4:]))
			i++
		case strings.HasPrefix(line, "```mermaid"):
			j := i + 1
			for j < len(lines) && lines[j] != "```" {
				j++
			}
			h.WriteString(pie(lines[i+1 : j]))
			i = j + 1
		case strings.HasPrefix(line, ">"):
			j := i
			for j < len(lines) && strings.HasPrefix(lines[j], ">") {
				j++
			}
			h.WriteString(alert(lines[i:j]))
			i = j
		case strings.HasPrefix(line, "|"):
			j := i
			for j < len(lines) && strings.HasPrefix(lines[j], "|") {
				j++
			}
			h.WriteString(table(lines[i:j]))
			i = j
		case strings.HasPrefix(line, "- "):
			j := i
			for j < len(lines) && (strings.HasPrefix(lines[j], "- ") || strings.HasPrefix(lines[j], "  - ")) {
				j++
			}
			h.WriteString(list(lines[i:j]))
			i = j
		default:
			// A paragraph, or a line of block HTML (<details>, <summary>, <sub>) GitHub keeps.
			j := i
			for j < len(lines) && lines[j] != "" {
				j++
			}
			text := strings.Join(lines[i:j], "\n")
			if strings.HasPrefix(text, "<details") || strings.HasPrefix(text, "</details") {
				h.WriteString(inline(text) + "\n")
			} else {
				fmt.Fprintf(&h, "<p>%s</p>\n", inline(text))
			}
			i = j
		}
	}
	h.WriteString("</div></div></div></body></html>\n")
	return os.WriteFile(out, []byte(h.String()), 0o644)
}

var (
	boldRE = regexp.MustCompile(`\*\*(.+?)\*\*`)
	codeRE = regexp.MustCompile("`([^`]+)`")
)

// inline renders bold and code spans. The summary's values are already escaped as character
// references, and its own HTML (<br>, <sub>, <details>) is meant to pass.
func inline(s string) string {
	s = codeRE.ReplaceAllString(s, "<code>$1</code>")
	return boldRE.ReplaceAllString(s, "<strong>$1</strong>")
}

func cells(row string) []string {
	row = strings.TrimSpace(row)
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	parts := strings.Split(row, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func table(rows []string) string {
	var h strings.Builder
	head, align := cells(rows[0]), cells(rows[1])
	class := func(i int) string {
		if i < len(align) && strings.HasSuffix(align[i], ":") {
			return ` class="r"`
		}
		return ""
	}
	h.WriteString("<table><thead><tr>")
	for i, c := range head {
		fmt.Fprintf(&h, "<th%s>%s</th>", class(i), inline(c))
	}
	h.WriteString("</tr></thead><tbody>")
	for _, r := range rows[2:] {
		h.WriteString("<tr>")
		for i, c := range cells(r) {
			fmt.Fprintf(&h, "<td%s>%s</td>", class(i), inline(c))
		}
		h.WriteString("</tr>")
	}
	h.WriteString("</tbody></table>\n")
	return h.String()
}

func list(lines []string) string {
	var h strings.Builder
	h.WriteString("<ul>")
	open := false
	for k, l := range lines {
		if strings.HasPrefix(l, "  - ") {
			if !open {
				h.WriteString("<ul>")
				open = true
			}
			fmt.Fprintf(&h, "<li>%s</li>", inline(l[4:]))
			continue
		}
		if open {
			h.WriteString("</ul>")
			open = false
		}
		if k > 0 {
			h.WriteString("</li>")
		}
		fmt.Fprintf(&h, "<li>%s", inline(l[2:]))
	}
	if open {
		h.WriteString("</ul>")
	}
	h.WriteString("</li></ul>\n")
	return h.String()
}

func alert(lines []string) string {
	kind, title, icon := "", "", ""
	var paras []string
	var cur []string
	for _, l := range lines {
		l = strings.TrimPrefix(strings.TrimPrefix(l, ">"), " ")
		switch {
		case l == "[!CAUTION]":
			kind, title, icon = "caution", "Caution", "⛔"
		case l == "[!WARNING]":
			kind, title, icon = "warning", "Warning", "⚠️"
		case l == "":
			if len(cur) > 0 {
				paras = append(paras, strings.Join(cur, "\n"))
				cur = nil
			}
		default:
			cur = append(cur, l)
		}
	}
	if len(cur) > 0 {
		paras = append(paras, strings.Join(cur, "\n"))
	}
	var h strings.Builder
	fmt.Fprintf(&h, `<div class="alert %s">`, kind)
	if title != "" {
		fmt.Fprintf(&h, `<p class="title">%s %s</p>`, icon, title)
	}
	for _, p := range paras {
		fmt.Fprintf(&h, "<p>%s</p>", inline(p))
	}
	h.WriteString("</div>\n")
	return h.String()
}

var sliceRE = regexp.MustCompile(`^\s*"([^"]*)"\s*:\s*(\d+)\s*$`)

// pie draws a Mermaid "pie showData title ..." block the way GitHub's Mermaid renders it: a pie
// with percentages, and a legend with the values.
func pie(src []string) string {
	title := ""
	type slice struct {
		label string
		n     float64
	}
	var slices []slice
	total := 0.0
	for _, l := range src {
		if strings.HasPrefix(strings.TrimSpace(l), "pie") {
			if _, t, ok := strings.Cut(l, "title "); ok {
				title = t
			}
			continue
		}
		if m := sliceRE.FindStringSubmatch(l); m != nil {
			n, _ := strconv.ParseFloat(m[2], 64)
			slices = append(slices, slice{m[1], n})
			total += n
		}
	}
	const cx, cy, r = 170.0, 190.0, 140.0
	var h strings.Builder
	fmt.Fprintf(&h, `<div class="pie"><svg width="560" height="350" viewBox="0 0 560 350" font-family="trebuchet ms, verdana, arial, sans-serif">`)
	fmt.Fprintf(&h, `<text x="280" y="28" text-anchor="middle" font-size="20" fill="#333">%s</text>`, html.EscapeString(title))
	angle := -math.Pi / 2
	for i, s := range slices {
		frac := s.n / total
		color := palette[i%len(palette)]
		if frac >= 0.9999 {
			fmt.Fprintf(&h, `<circle cx="%g" cy="%g" r="%g" fill="%s" stroke="#000" stroke-width="1.5"/>`, cx, cy, r, color)
		} else {
			end := angle + frac*2*math.Pi
			large := 0
			if frac > 0.5 {
				large = 1
			}
			fmt.Fprintf(&h, `<path d="M%g,%g L%.2f,%.2f A%g,%g 0 %d 1 %.2f,%.2f Z" fill="%s" stroke="#000" stroke-width="1.5"/>`,
				cx, cy, cx+r*math.Cos(angle), cy+r*math.Sin(angle), r, r, large, cx+r*math.Cos(end), cy+r*math.Sin(end), color)
		}
		mid := angle + frac*math.Pi
		if frac > 0.04 {
			fmt.Fprintf(&h, `<text x="%.1f" y="%.1f" text-anchor="middle" dominant-baseline="middle" font-size="15" fill="#333">%.0f%%</text>`,
				cx+0.72*r*math.Cos(mid), cy+0.72*r*math.Sin(mid), frac*100)
		}
		angle += frac * 2 * math.Pi
	}
	for i, s := range slices {
		y := 110 + i*26
		fmt.Fprintf(&h, `<rect x="350" y="%d" width="18" height="18" fill="%s" stroke="#000"/>`, y, palette[i%len(palette)])
		fmt.Fprintf(&h, `<text x="376" y="%d" font-size="16" fill="#333">%s [%g]</text>`, y+14, html.EscapeString(s.label), s.n)
	}
	h.WriteString("</svg></div>\n")
	return h.String()
}

// crop cuts the uniform background off the bottom of a full-window screenshot.
func crop(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		return err
	}
	bounds := img.Bounds()
	bg := img.At(bounds.Min.X, bounds.Max.Y-1)
	bottom := bounds.Max.Y
	for y := bounds.Max.Y - 1; y > bounds.Min.Y; y-- {
		uniform := true
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			if img.At(x, y) != bg {
				uniform = false
				break
			}
		}
		if !uniform {
			break
		}
		bottom = y
	}
	bottom = min(bounds.Max.Y, bottom+24)
	out := image.NewRGBA(image.Rect(0, 0, bounds.Dx(), bottom-bounds.Min.Y))
	draw.Draw(out, out.Bounds(), img, bounds.Min, draw.Src)
	w, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(w, out); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
