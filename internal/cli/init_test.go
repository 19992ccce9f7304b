package cli

import (
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/testsupport"
)

// init's flags are checked before any AWS call; what AWS answers is the end-to-end test's
// (init_e2e_test.go, through the strict layer).
func TestInitArguments(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		args       []string
		code       int
		wantOut    string
		wantStderr []string
	}{
		"help":           {args: []string{"init", "--help"}, code: 0, wantOut: "sseguard init [--region R]... [--buckets GLOB]... [--account-id-from-caller]"},
		"usage":          {args: []string{"help", "init"}, code: 0, wantOut: "s3:ListAllMyBuckets and kms:ListAliases"},
		"stray argument": {args: []string{"init", "sseguard.yaml"}, code: 1, wantStderr: []string{`unexpected argument "sseguard.yaml"`, "sseguard init > sseguard.yaml"}},
		"bad region":     {args: []string{"init", "--region", "us-east-1", "--region", "Europe"}, code: 1, wantStderr: []string{`--region "Europe" is not a region name`}},
		"bad glob":       {args: []string{"init", "--buckets", "media-[", "--buckets", "ok-*"}, code: 1, wantStderr: []string{`--buckets "media-[" is not a valid glob`}},
		"both bad": {args: []string{"init", "--buckets", "[", "--region", "x"}, code: 1,
			wantStderr: []string{"sseguard init: --region \"x\"", "sseguard init: --buckets \"[\""}},
		"unknown flag": {args: []string{"init", "--policy", "x.yaml"}, code: 1, wantStderr: []string{"sseguard init: unknown flag --policy"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.wantOut) || (tc.code != 0 && out != "") {
				t.Errorf("stdout = %q, want it to hold %q (nothing on an error)", out, tc.wantOut)
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// When AWS cannot be reached, init says so on stderr, prints no policy, and exits 1. (Not
// parallel: it sets the environment the SDK reads.)
func TestInitUnreachable(t *testing.T) {
	endpoint, conns := testsupport.DeadEndpoint(t)
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "x",
		"AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"} {
		t.Setenv(k, v)
	}
	code, out, errOut := run(t, "init", "--buckets", "media-*")
	if code != ExitError || out != "" || !strings.Contains(errOut, "sseguard init: list the account's buckets (s3:ListAllMyBuckets)") {
		t.Errorf("init = %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if conns() == 0 {
		t.Error("init made no connection to the endpoint")
	}
}

// TestInitSummary: the line init ends with reads as English for one bucket and for several.
func TestInitSummary(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		adopted, notAdopted int
		want                string
	}{
		{1, 0, "1 bucket adopted as it is, 0 buckets written commented out (the file says why)"},
		{5, 1, "5 buckets adopted as they are, 1 bucket written commented out (the file says why)"},
	} {
		if got := initSummary(tc.adopted, tc.notAdopted); got != tc.want {
			t.Errorf("initSummary(%d, %d) = %q, want %q", tc.adopted, tc.notAdopted, got, tc.want)
		}
	}
}
