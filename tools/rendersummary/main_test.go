package main

import (
	"strings"
	"testing"
)

func TestMarkdown(t *testing.T) {
	t.Parallel()
	icons := map[string]string{"caution": "<svg stop/>", "warning": "<svg alert/>"}
	tests := map[string]struct {
		in          string
		want, never []string
	}{
		"caution alert": {
			in:    "> [!CAUTION]\n> **Key** pending deletion\n>\n> second\n",
			want:  []string{`<div class="markdown-alert markdown-alert-caution">`, `<p class="markdown-alert-title"><svg stop/>Caution</p>`, "<strong>Key</strong> pending deletion", "<p>second</p>"},
			never: []string{"[!CAUTION]", "<blockquote>"},
		},
		"marker alone in its paragraph": {
			in:    "> [!WARNING]\n\n",
			want:  []string{`markdown-alert-warning`},
			never: []string{"[!WARNING]"},
		},
		"plain quote stays a quote": {
			in:    "> [!NOPE]\n> text\n",
			want:  []string{"<blockquote>", "[!NOPE]"},
			never: []string{"markdown-alert"},
		},
		"GFM table with alignment": {
			in:   "| a | n |\n|---|--:|\n| x | 1 |\n",
			want: []string{"<table>", `<th style="text-align:right">n</th>`, `<td style="text-align:right">1</td>`},
		},
		"mermaid block kept for mermaid": {
			in:   "```mermaid\npie title A\n    \"a\" : 1\n```\n",
			want: []string{`<pre><code class="language-mermaid">pie title A`},
		},
		"summary HTML passes, references stay inert": {
			in:    "<details><summary>More</summary>\n\n- a&#96;b &#60;script&#62;\n\n</details>\n",
			want:  []string{"<details><summary>More</summary>", "a`b &lt;script&gt;"},
			never: []string{"<script>"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := Markdown([]byte(tc.in), icons)
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			for _, n := range tc.never {
				if strings.Contains(got, n) {
					t.Errorf("unexpected %q in\n%s", n, got)
				}
			}
		})
	}
}
