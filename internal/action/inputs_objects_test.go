package action

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	"github.com/sseguard/sseguard/internal/objects"
)

func TestReadObjectInputs(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env     map[string]string
		want    objects.Options
		wantErr []string
	}{
		"none": {env: map[string]string{}, want: objects.Options{}},
		"all": {env: map[string]string{"INPUT_CONCURRENCY": "16", "INPUT_MAX-OBJECTS": "5000", "INPUT_MAX-DURATION": "45m", "INPUT_REQUESTS-PER-SECOND": "200"},
			want: objects.Options{Concurrency: 16, MaxObjects: 5000, MaxDuration: 45 * time.Minute, RequestsPerSecond: 200}},
		"every bad one reported": {env: map[string]string{"INPUT_CONCURRENCY": "0", "INPUT_MAX-OBJECTS": "lots", "INPUT_MAX-DURATION": "1 hour", "INPUT_REQUESTS-PER-SECOND": "-1"},
			wantErr: []string{"input concurrency", "input max-objects", "input max-duration", "input requests-per-second"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := githubactions.New(githubactions.WithGetenv(func(k string) string { return tc.env[k] }))
			var o objects.Options
			errs := readObjectInputs(a, &o)
			if tc.wantErr == nil {
				if len(errs) != 0 {
					t.Fatalf("errors: %v", errs)
				}
				if diff := cmp.Diff(tc.want, o); diff != "" {
					t.Errorf("options (-want +got):\n%s", diff)
				}
				return
			}
			if len(errs) != len(tc.wantErr) {
				t.Fatalf("%d errors, want %d: %v", len(errs), len(tc.wantErr), errs)
			}
			for i, w := range tc.wantErr {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d = %v, want it to name %s", i, errs[i], w)
				}
			}
		})
	}
}
