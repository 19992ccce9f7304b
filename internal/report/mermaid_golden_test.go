package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/testsupport/nodetools"
)

// mermaidChart is one ```mermaid block of a file.
type mermaidChart struct {
	Name   string `json:"name"` // path:line of the opening fence
	Source string `json:"source"`
}

// mermaidBlocks returns the ```mermaid blocks of markdown text.
func mermaidBlocks(path string, text []byte) []mermaidChart {
	var out []mermaidChart
	var cur *strings.Builder
	start := 0
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```mermaid":
			cur, start = &strings.Builder{}, n
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, mermaidChart{Name: fmt.Sprintf("%s:%d", path, start), Source: cur.String()})
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	return out
}

// goldenCharts collects the Mermaid blocks of every golden file (anything under a testdata
// directory) and every markdown file of the repository.
func goldenCharts(t *testing.T, root string) []mermaidChart {
	t.Helper()
	var charts []mermaidChart
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		golden := strings.Contains(filepath.ToSlash(rel), "testdata/") || strings.HasSuffix(path, ".md")
		if !golden {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		charts = append(charts, mermaidBlocks(filepath.ToSlash(rel), b)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return charts
}

// TestGoldenMermaidChartsParse runs mermaid's own parser (the pinned npm package GitHub's
// renderer is built on) over every Mermaid chart the goldens hold: a chart GitHub would refuse to
// draw ("Unable to render rich display") fails here.
func TestGoldenMermaidChartsParse(t *testing.T) {
	t.Parallel()
	dir, err := nodetools.Dir()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(filepath.Dir(dir))
	charts := goldenCharts(t, root)
	// The report and PR comment goldens hold 12 today; fewer than this means the walk went wrong.
	const atLeast = 10
	if len(charts) < atLeast {
		t.Fatalf("found %d Mermaid charts under %s, want at least %d", len(charts), root, atLeast)
	}
	var results []struct {
		Name, Type, Error string
		OK                bool
	}
	nodetools.Run(t, "mermaid-parse.mjs", charts, &results)
	if len(results) != len(charts) {
		t.Fatalf("mermaid parsed %d charts, sent %d", len(results), len(charts))
	}
	for i, r := range results {
		if !r.OK {
			t.Errorf("%s: mermaid refuses the chart: %s\n%s", r.Name, r.Error, charts[i].Source)
		}
	}
	t.Logf("%d Mermaid charts checked", len(charts))
}

func TestMermaidBlocks(t *testing.T) {
	t.Parallel()
	got := mermaidBlocks("f.md", []byte("x\n```mermaid\npie title A\n    \"a\" : 1\n```\n```go\nno\n```\n```mermaid\npie\n```\n"))
	want := []mermaidChart{{"f.md:2", "pie title A\n    \"a\" : 1\n"}, {"f.md:9", "pie\n"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
