package report

import (
	"strings"
	"testing"
)

// The summary's footer says which sseguard made it, at every level of detail, escaped like any
// other value; without a version the footer is as before.
func TestFooterSaysTheVersion(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		opts MarkdownOptions
		want string
	}{
		"full": {MarkdownOptions{Mode: "plan", JSONFile: "plan.json", Version: "v1.2.3"},
			"\n<sub>The full plan is in plan.json (the `plan-json` output). · sseguard v1.2.3</sub>\n"},
		"cut to the drifting buckets": {MarkdownOptions{Mode: "plan", JSONFile: "plan.json", Version: "v1.2.3", MaxBytes: 4000},
			"\n<sub>The full plan is in plan.json (the `plan-json` output). · sseguard v1.2.3</sub>\n"},
		"no JSON file": {MarkdownOptions{Mode: "apply", Version: "devel+0123456789ab-dirty"}, "\n<sub>sseguard devel+0123456789ab-dirty</sub>\n"},
		"no version":   {MarkdownOptions{Mode: "plan", JSONFile: "plan.json"}, "\n<sub>The full plan is in plan.json (the `plan-json` output).</sub>\n"},
		"a hostile version": {MarkdownOptions{Mode: "plan", Version: "v1<img src=x>@team\n::error::x"},
			"\n<sub>sseguard v1&#60;img src=x&#62;@&#8288;team\\x0a::error::x</sub>\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := fxDrift()
			if tc.opts.MaxBytes > 0 {
				p = fxHuge()
			}
			md, shown := MarkdownShown(p, tc.opts)
			if tc.opts.MaxBytes > 0 && shown.Detail != DetailDrifting {
				t.Fatalf("the summary is at %s, want it cut to the drifting buckets", shown.Detail)
			}
			if !strings.HasSuffix(md, tc.want) {
				t.Errorf("the summary ends\n%q\nwant\n%q", md[max(0, len(md)-200):], tc.want)
			}
		})
	}
}
