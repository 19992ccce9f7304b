package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/state"
)

func TestUnmanagedGoldens(t *testing.T) {
	t.Parallel()
	p := fxUnmanaged()
	var text bytes.Buffer
	if err := Text(&text, p); err != nil {
		t.Fatal(err)
	}
	mdGolden(t, "text", "unmanaged.txt", text.String())
	mdGolden(t, "markdown", "unmanaged.md", Markdown(p, MarkdownOptions{Mode: "plan", JSONFile: "sseguard-plan.json"}))
}

// The AWS error text cannot break out of its line, cell or section in any view.
func TestUnmanagedErrorsAreInert(t *testing.T) {
	t.Parallel()
	p := fxUnmanaged()
	var text bytes.Buffer
	if err := Text(&text, p); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(text.String(), "\n") {
		if strings.HasPrefix(line, "::") {
			t.Errorf("text has a line starting a workflow command: %q", line)
		}
	}
	md := Markdown(p, MarkdownOptions{Mode: "plan"})
	for _, bad := range []string{"<b>", "|x|", "@admin", "\n::error"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown holds %q raw", bad)
		}
	}
}

func TestUnmanagedViews(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		u        *state.Unmanaged
		text, md string
		notText  string
	}{
		"not asked": {u: nil, notText: "does not name"},
		"none": {u: &state.Unmanaged{AllRegions: true, Buckets: []state.UnmanagedBucket{}},
			text: "Buckets the policy does not name (all regions; reported, never changed): none",
			md:   "<details><summary>Buckets the policy does not name: 0 (all regions; reported, never changed)</summary>\n\nNone."},
		"listing failed": {u: &state.Unmanaged{Regions: []string{"us-east-1"}, Buckets: []state.UnmanagedBucket{}, Err: "list the account's buckets (s3:ListAllMyBuckets): AccessDenied"},
			text: "Buckets the policy does not name (region us-east-1; reported, never changed): could not be listed: list the account's buckets (s3:ListAllMyBuckets): AccessDenied",
			md:   "> [!WARNING]\n> The account's buckets (region us-east-1) could not be listed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := fxInSync()
			p.Unmanaged = tc.u
			var text bytes.Buffer
			if err := Text(&text, p); err != nil {
				t.Fatal(err)
			}
			if tc.text != "" && !strings.Contains(text.String(), tc.text) {
				t.Errorf("text lacks %q:\n%s", tc.text, text.String())
			}
			if tc.notText != "" && strings.Contains(text.String(), tc.notText) {
				t.Errorf("text has %q:\n%s", tc.notText, text.String())
			}
			if md := Markdown(p, MarkdownOptions{Mode: "plan"}); tc.md != "" && !strings.Contains(md, tc.md) {
				t.Errorf("markdown lacks %q:\n%s", tc.md, md)
			}
		})
	}
}
