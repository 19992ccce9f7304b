package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/state"
)

// TestObjectSource: where a bucket's counts came from is said in the text and the summary (and
// the JSON plan: package jsonplan); a HEAD scan of a bucket without inventory says nothing; a reason quoting AWS text cannot
// become markup or a workflow command.
func TestObjectSource(t *testing.T) {
	tests := map[string]struct {
		src       *state.ObjectSource
		wantText  string // "" = no source line
		forbidden []string
	}{
		"inventory": {
			src:      &state.ObjectSource{Kind: state.SourceInventory, InventoryID: "daily", Created: "2026-11-28T00:00:00Z", AgeSeconds: 3 * 3600, FromInventory: 1140, WithHead: 60},
			wantText: "counted from S3 Inventory daily created 2026-11-28T00:00:00Z (3h0m0s old): 1140 objects decided by it, 60 read with HEAD",
		},
		"old inventory in days": {
			src:      &state.ObjectSource{Kind: state.SourceInventory, InventoryID: "weekly", Created: "2026-11-22T00:00:00Z", AgeSeconds: 7 * 24 * 3600},
			wantText: "(7d old)",
		},
		"no inventory configured": {src: &state.ObjectSource{Kind: state.SourceHead, Reason: state.NoInventoryConfigured}},
		"no source":               {},
		"rejected inventory": {
			src:       &state.ObjectSource{Kind: state.SourceHead, Reason: "inventory x: data file \"a.csv.gz\" MD5 mismatch\n::error::pwned <b>@team</b>"},
			wantText:  "read with HEAD, no inventory used: inventory x",
			forbidden: []string{"\n::error::", "<b>", "@team"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := fxDrift()
			p.Buckets[0].Objects.Source = tc.src
			var text bytes.Buffer
			if err := Text(&text, p); err != nil {
				t.Fatal(err)
			}
			md := Markdown(p, MarkdownOptions{})
			if tc.wantText == "" {
				if strings.Contains(text.String(), "S3 Inventory") || strings.Contains(text.String(), "no inventory used") {
					t.Errorf("text says something of the source:\n%s", text.String())
				}
				if strings.Contains(md, "Inventory") || strings.Contains(md, "no inventory used") {
					t.Errorf("summary says something of the source:\n%s", md)
				}
			} else {
				if !strings.Contains(text.String(), tc.wantText) {
					t.Errorf("text lacks %q:\n%s", tc.wantText, text.String())
				}
				if !strings.Contains(md, "media-hls") || !strings.Contains(md, tc.wantText) {
					t.Errorf("summary lacks the source line:\n%s", md)
				}
			}
			for _, f := range tc.forbidden {
				if strings.Contains(md, f) {
					t.Errorf("summary holds %q", f)
				}
			}
			if strings.Contains(text.String(), "\n::") {
				t.Errorf("text holds a workflow command:\n%s", text.String())
			}
		})
	}
}
