package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnmanagedForms(t *testing.T) {
	t.Parallel()
	const buckets = "buckets:\n  - name: media-hls\n    encryption: sse-s3\n"
	tests := map[string]struct {
		field string
		want  Unmanaged
		text  string
	}{
		"absent":      {"", Unmanaged{}, "ignore"},
		"ignore":      {"unmanaged_buckets: ignore\n", Unmanaged{Mode: UnmanagedIgnore, Pos: Pos{2, 20}}, "ignore"},
		"report":      {"unmanaged_buckets: report\n", Unmanaged{Mode: UnmanagedReport, Pos: Pos{2, 20}}, "report, the regions the policy uses"},
		"mode only":   {"unmanaged_buckets: {mode: report}\n", Unmanaged{Mode: UnmanagedReport, Pos: Pos{2, 20}}, "report, the regions the policy uses"},
		"all regions": {"unmanaged_buckets:\n  mode: report\n  regions: all\n", Unmanaged{Mode: UnmanagedReport, AllRegions: true, Pos: Pos{3, 3}}, "report, all regions"},
		"listed": {"unmanaged_buckets: {mode: report, regions: [eu-west-1, us-east-1]}\n",
			Unmanaged{Mode: UnmanagedReport, Regions: []string{"eu-west-1", "us-east-1"}, Pos: Pos{2, 20}}, "report, regions eu-west-1, us-east-1"},
		"mode ignore": {"unmanaged_buckets: {mode: ignore}\n", Unmanaged{Mode: UnmanagedIgnore, Pos: Pos{2, 20}}, "ignore"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse("u.yaml", []byte("version: 1\n"+tc.field+buckets))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, p.Unmanaged); diff != "" {
				t.Errorf("unmanaged (-want +got):\n%s", diff)
			}
			if got := p.Unmanaged.String(); got != tc.text {
				t.Errorf("String() = %q, want %q", got, tc.text)
			}
			if got := p.Unmanaged.Report(); got != (tc.want.Mode == UnmanagedReport) {
				t.Errorf("Report() = %v", got)
			}
		})
	}
}
