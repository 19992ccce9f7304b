// Command rendersummary draws a job summary the way GitHub shows it, for the README's picture
// (docs/job-summary.png).
//
// It renders the summary's markdown with goldmark's GitHub Flavored Markdown extensions (tables,
// strikethrough, autolinks, task lists) and GitHub's alert blocks, styles it with
// github-markdown-css, draws the ```mermaid blocks with mermaid itself, and takes the picture in
// headless Chromium. Everything runs offline: the npm packages come from tools/js/node_modules
// (`npm ci --prefix tools/js`), Chromium from Debian (`apt-get install chromium
// fonts-noto-color-emoji`).
//
// It lives in a module of its own (tools/go.mod) so that goldmark never enters the shipped
// binary's module graph. From the repository root:
//
//	go -C tools run ./rendersummary [-in SUMMARY.md] [-out PNG]
//
// The defaults render internal/report/testdata/markdown/blockers.md to docs/job-summary.png.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"image"
	"image/draw"
	"image/png"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

const installHint = "run `npm ci --prefix tools/js` from the repository root"

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "rendersummary:", err)
		os.Exit(1)
	}
}

func run(args []string, log io.Writer) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("rendersummary", flag.ContinueOnError)
	in := fs.String("in", filepath.Join(root, "internal/report/testdata/markdown/blockers.md"), "the job summary's markdown")
	out := fs.String("out", filepath.Join(root, "docs/job-summary.png"), "the PNG to write")
	chromium := fs.String("chromium", "chromium", "the Chromium binary (Debian's package)")
	width := fs.Int("width", 1280, "the window's width in CSS pixels")
	if err := fs.Parse(args); err != nil {
		return err
	}
	src, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	nodeModules := filepath.Join(root, "tools/js/node_modules")
	icons, err := octicons(nodeModules)
	if err != nil {
		return err
	}
	body, err := Markdown(src, icons)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "rendersummary-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	page := filepath.Join(work, "summary.html")
	if err := writePage(page, nodeModules, body); err != nil {
		return err
	}
	shot := filepath.Join(work, "shot.png")
	if err := screenshot(*chromium, page, shot, filepath.Join(work, "profile"), *width); err != nil {
		return err
	}
	if err := crop(shot, *out); err != nil {
		return err
	}
	fmt.Fprintf(log, "wrote %s\n", *out)
	return nil
}

// repoRoot walks up from the working directory to the directory holding tools/js/package.json.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "tools", "js", "package.json")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no repository root (tools/js/package.json) above %s", wd)
		}
	}
}

// Markdown renders GitHub Flavored Markdown to HTML. Raw HTML passes, as GitHub keeps the tags a
// summary uses (<details>, <summary>, <sub>, <br>); sseguard's summaries write every value from
// AWS or the policy file as character references, so none of it becomes markup here either.
// icons maps an alert kind (note, tip, important, warning, caution) to the octicon GitHub shows in
// its title.
func Markdown(src []byte, icons map[string]string) ([]byte, error) {
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithASTTransformers(util.Prioritized(alertTransformer{}, 100)),
		),
		goldmark.WithRendererOptions(
			html.WithUnsafe(),
			renderer.WithNodeRenderers(util.Prioritized(alertRenderer{icons: icons}, 100)),
		),
	)
	var b bytes.Buffer
	if err := md.Convert(src, &b); err != nil {
		return nil, fmt.Errorf("render markdown: %w", err)
	}
	return b.Bytes(), nil
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="{{.CSS}}">
<style>
body { margin: 0; background: #f6f8fa; }
.run { padding: 24px; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; }
.card > h2 { margin: 0; padding: 16px 24px; font: 600 16px -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; border-bottom: 1px solid #d0d7de; }
.card > h2 span { color: #59636e; font-weight: 400; }
.markdown-body { padding: 16px 24px 24px; }
/* GitHub draws a chart in a frame of its own, not in a code block's grey box. */
.markdown-body pre.mermaid { background: none; text-align: center; }
</style>
<script src="{{.Mermaid}}"></script>
</head><body><div class="run"><div class="card">
<h2>plan summary <span>· sseguard</span></h2>
<div class="markdown-body">{{.Body}}</div>
</div></div>
<script>
// GitHub draws each mermaid code block as a chart in its place.
for (const code of document.querySelectorAll("pre > code.language-mermaid")) {
  const pre = document.createElement("pre");
  pre.className = "mermaid";
  pre.textContent = code.textContent;
  code.parentElement.replaceWith(pre);
}
mermaid.initialize({ startOnLoad: false, theme: "default" });
mermaid.run({ querySelector: "pre.mermaid" }).then(
  () => { document.title = "rendered"; },
  (e) => { document.title = "mermaid failed: " + e; document.body.prepend(String(e)); });
</script>
</body></html>
`))

func writePage(path, nodeModules string, body []byte) error {
	css := filepath.Join(nodeModules, "github-markdown-css/github-markdown-light.css")
	js := filepath.Join(nodeModules, "mermaid/dist/mermaid.min.js")
	for _, f := range []string{css, js} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%s is missing: %s", f, installHint)
		}
	}
	var b bytes.Buffer
	err := pageTemplate.Execute(&b, map[string]any{
		"CSS":     template.URL(fileURL(css)),
		"Mermaid": template.URL(fileURL(js)),
		"Body":    template.HTML(body),
	})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func fileURL(path string) string {
	return (&url.URL{Scheme: "file", Path: path}).String()
}

// screenshot takes the picture in headless Chromium. The flags keep it off the network (and off
// Google's hosts at start) and out of the home directory; the virtual time budget lets mermaid
// finish drawing before the picture is taken.
func screenshot(chromium, page, out, profile string, width int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--force-device-scale-factor=1", "--allow-file-access-from-files",
		"--user-data-dir="+profile, fmt.Sprintf("--window-size=%d,6000", width),
		"--virtual-time-budget=20000", "--screenshot="+out, fileURL(page))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("%s not found: apt-get install chromium fonts-noto-color-emoji", chromium)
		}
		return fmt.Errorf("%s: %w\n%s", chromium, err, logs.String())
	}
	if _, err := os.Stat(out); err != nil {
		return fmt.Errorf("%s wrote no screenshot:\n%s", chromium, logs.String())
	}
	return nil
}

// crop cuts the uniform background off the bottom of the full-window screenshot, keeping a margin.
func crop(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		return err
	}
	b := img.Bounds()
	bg := img.At(b.Min.X, b.Max.Y-1)
	bottom := b.Max.Y
	for y := b.Max.Y - 1; y > b.Min.Y; y-- {
		if !rowIs(img, y, bg) {
			break
		}
		bottom = y
	}
	bottom = min(b.Max.Y, bottom+24)
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), bottom-b.Min.Y))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, dst); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

func rowIs(img image.Image, y int, c interface{ RGBA() (r, g, b, a uint32) }) bool {
	r0, g0, b0, a0 := c.RGBA()
	for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
		r, g, b, a := img.At(x, y).RGBA()
		if r != r0 || g != g0 || b != b0 || a != a0 {
			return false
		}
	}
	return true
}
