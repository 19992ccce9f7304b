package action

import (
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/state"
)

// The unmanaged-buckets output counts the buckets the policy does not name, only when the policy
// asked for them and they could be listed; they never make the step fail.
func TestUnmanagedBucketsOutput(t *testing.T) {
	t.Parallel()
	listed := &state.Unmanaged{Regions: []string{"us-east-1"}, Buckets: []state.UnmanagedBucket{
		{Name: "legacy", Region: "us-east-1"},
		{Name: "locked", Region: "us-east-1", Err: "read default encryption: AccessDenied"},
		{Name: "site", Region: "us-east-1", Rule: &state.Rule{Algorithm: "AES256"}}}}
	tests := map[string]struct {
		u       *state.Unmanaged
		want    string
		present bool
	}{
		"not asked":      {u: nil},
		"listed":         {u: listed, want: "3", present: true},
		"none":           {u: &state.Unmanaged{AllRegions: true, Buckets: []state.UnmanagedBucket{}}, want: "0", present: true},
		"listing failed": {u: &state.Unmanaged{AllRegions: true, Buckets: []state.UnmanagedBucket{}, Err: "AccessDenied"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t, "pull_request")
			p := driftPlan()
			p.Unmanaged = tc.u
			if code := r.run(t, &fakePipeline{plan: p}); code != ExitOK {
				t.Fatalf("exit code %d\n%s", code, r.out.String())
			}
			got, ok := r.outputs(t)["unmanaged-buckets"]
			if ok != tc.present || got != tc.want {
				t.Errorf("unmanaged-buckets = %q (set %v), want %q (set %v)", got, ok, tc.want, tc.present)
			}
			if tc.u != nil && len(tc.u.Buckets) > 0 && !strings.Contains(r.summaryText(t), "Buckets the policy does not name: 3") {
				t.Errorf("summary lacks the unmanaged section:\n%s", r.summaryText(t))
			}
		})
	}
}
