package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"
)

// TestReadBatchInputs: retry-failed-batch-jobs and prices-file (relative to the workspace), and
// every bad value reported.
func TestReadBatchInputs(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "prices.json"), []byte(`{"as_of": "2027-02-01", "kms_requests": {"usd": 0.06, "per": 10000}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "bad.json"), []byte(`{"kms_requests": {"usd": -1, "per": 10000}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	gh := &githubactions.GitHubContext{Workspace: ws}
	read := func(env map[string]string) (Inputs, error) {
		return ReadInputs(githubactions.New(githubactions.WithGetenv(func(k string) string { return env[k] })), gh)
	}

	in, err := read(nil)
	if err != nil || in.RetryFailedBatch || in.Prices != nil {
		t.Errorf("defaults: retry %v, prices %v, error %v; want false, the default table, none", in.RetryFailedBatch, in.Prices, err)
	}
	in, err = read(map[string]string{"INPUT_RETRY-FAILED-BATCH-JOBS": "true", "INPUT_PRICES-FILE": "prices.json"})
	if err != nil {
		t.Fatal(err)
	}
	if !in.RetryFailedBatch || in.Prices == nil || in.Prices.AsOf != "2027-02-01" || in.Prices.KMS.USD != 0.06 || in.Prices.Write["STANDARD"].USD == 0 {
		t.Errorf("retry %v, prices %+v: want a retry and the file over the default table", in.RetryFailedBatch, in.Prices)
	}
	_, err = read(map[string]string{"INPUT_RETRY-FAILED-BATCH-JOBS": "always", "INPUT_PRICES-FILE": "bad.json"})
	for _, want := range []string{`input retry-failed-batch-jobs is "always"`, `input prices-file "bad.json": prices file: kms_requests`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to say %q", err, want)
		}
	}
	if _, err = read(map[string]string{"INPUT_PRICES-FILE": "missing.json"}); err == nil || !strings.Contains(err.Error(), "input prices-file") {
		t.Errorf("a missing prices file: %v", err)
	}
}
