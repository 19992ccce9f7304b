package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// GitHub's alerts: a blockquote whose first line is [!NOTE], [!TIP], [!IMPORTANT], [!WARNING] or
// [!CAUTION] is drawn as a coloured box with an icon and a title ("Basic writing and formatting
// syntax", Alerts, https://docs.github.com/en/get-started/writing-on-github/getting-started-with-writing-and-formatting-on-github/basic-writing-and-formatting-syntax#alerts).
// GFM itself has no alerts, so goldmark leaves them as blockquotes; alertTransformer turns those
// blockquotes into Alert nodes, and alertRenderer writes the HTML GitHub writes for them
// (markdown-alert classes, which github-markdown-css styles).

// alertIcons maps each alert kind to the octicon GitHub puts in its title.
var alertIcons = map[string]string{
	"note": "info", "tip": "light-bulb", "important": "report", "warning": "alert", "caution": "stop",
}

// KindAlert is the node kind of an Alert.
var KindAlert = ast.NewNodeKind("Alert")

// Alert is a GitHub alert block; its children are the blockquote's, less the marker line.
type Alert struct {
	ast.BaseBlock
	AlertKind string // note, tip, important, warning or caution
}

// Kind implements ast.Node.
func (*Alert) Kind() ast.NodeKind { return KindAlert }

// Dump implements ast.Node.
func (a *Alert) Dump(source []byte, level int) {
	ast.DumpHelper(a, source, level, map[string]string{"AlertKind": a.AlertKind}, nil)
}

type alertTransformer struct{}

func (alertTransformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	var quotes []*ast.Blockquote
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if q, ok := n.(*ast.Blockquote); ok && entering {
			quotes = append(quotes, q)
		}
		return ast.WalkContinue, nil
	})
	for _, q := range quotes {
		para, ok := q.FirstChild().(*ast.Paragraph)
		if !ok || para.Lines().Len() == 0 {
			continue
		}
		first := para.Lines().At(0)
		marker := strings.TrimSpace(string(first.Value(src)))
		kind, ok := strings.CutPrefix(marker, "[!")
		kind, ok2 := strings.CutSuffix(kind, "]")
		kind = strings.ToLower(kind)
		if _, known := alertIcons[kind]; !ok || !ok2 || !known {
			continue
		}
		// Drop the marker line's inline nodes; a paragraph left empty goes too.
		for c := para.FirstChild(); c != nil; {
			next := c.NextSibling()
			if t, isText := c.(*ast.Text); isText && t.Segment.Start < first.Stop {
				para.RemoveChild(para, c)
			}
			c = next
		}
		if para.FirstChild() == nil {
			q.RemoveChild(q, para)
		}
		alert := &Alert{AlertKind: kind}
		for c := q.FirstChild(); c != nil; {
			next := c.NextSibling()
			q.RemoveChild(q, c)
			alert.AppendChild(alert, c)
			c = next
		}
		q.Parent().ReplaceChild(q.Parent(), q, alert)
	}
}

type alertRenderer struct {
	icons map[string]string // kind → <svg>
}

func (r alertRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(KindAlert, r.render)
}

func (r alertRenderer) render(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	a := n.(*Alert)
	if !entering {
		_, _ = w.WriteString("</div>\n")
		return ast.WalkContinue, nil
	}
	title := strings.ToUpper(a.AlertKind[:1]) + a.AlertKind[1:]
	fmt.Fprintf(w, "<div class=\"markdown-alert markdown-alert-%s\">\n<p class=\"markdown-alert-title\">%s%s</p>\n", a.AlertKind, r.icons[a.AlertKind], title)
	return ast.WalkContinue, nil
}

// octicons reads the alert icons from the pinned @primer/octicons package, as GitHub draws them
// (16 px, class "octicon mr-2").
func octicons(nodeModules string) (map[string]string, error) {
	out := map[string]string{}
	for kind, name := range alertIcons {
		path := filepath.Join(nodeModules, "@primer/octicons/build/svg", name+"-16.svg")
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s is missing: %s", path, installHint)
		}
		svg := strings.Replace(strings.TrimSpace(string(b)), "<svg ", `<svg class="octicon octicon-`+name+` mr-2" style="margin-right:8px" `, 1)
		out[kind] = svg
	}
	return out, nil
}
