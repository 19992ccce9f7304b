package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, Env{Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func TestMainArguments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("version: 1\nbuckets:\n  - name: media-hls\n    encryption: sse-s3\n"), 0o644)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nbuckets:\n  - name: media-hls\n    encryption: sse-s3\n    kms_key: alias/x\n  - name: Bad_Name\n    encryption: sse-kms\n"), 0o644)

	tests := map[string]struct {
		args       []string
		code       int
		wantOut    string
		wantStderr []string
	}{
		"help":                {args: []string{"--help"}, code: 0, wantOut: "Usage:"},
		"no command":          {args: nil, code: 1, wantStderr: []string{"Usage:"}},
		"unknown command":     {args: []string{"destroy"}, code: 1, wantStderr: []string{`sseguard: unknown command "destroy"`, `sseguard --help`}},
		"stray argument":      {args: []string{"plan", "policy.yaml"}, code: 1, wantStderr: []string{"goes after --policy"}},
		"bad concurrency":     {args: []string{"apply", "--concurrency", "-3"}, code: 1, wantStderr: []string{"--concurrency -3"}},
		"bad uoe mode":        {args: []string{"apply", "--update-object-encryption", "sometimes"}, code: 1, wantStderr: []string{"want auto, always or never"}},
		"detailed on apply":   {args: []string{"apply", "--detailed-exitcode"}, code: 1, wantStderr: []string{"sseguard apply: unknown flag --detailed-exitcode"}},
		"json on validate":    {args: []string{"validate", "--json", "x.json"}, code: 1, wantStderr: []string{"sseguard validate: unknown flag --json"}},
		"help for a command":  {args: []string{"help", "apply"}, code: 0, wantOut: "Usage:\n  sseguard apply"},
		"help, no command":    {args: []string{"help", "destroy"}, code: 1, wantStderr: []string{`unknown command "destroy"`}},
		"flag value":          {args: []string{"plan", "--concurrency", "many"}, code: 1, wantStderr: []string{"sseguard plan: invalid value \"many\" for flag -concurrency"}},
		"version argument":    {args: []string{"version", "now"}, code: 1, wantStderr: []string{`sseguard version: unexpected argument "now"`}},
		"validate good":       {args: []string{"validate", "--policy", good}, code: 0, wantOut: "valid (1 bucket, 0 keys)"},
		"missing policy file": {args: []string{"validate", "--policy", filepath.Join(dir, "nope.yaml")}, code: 1, wantStderr: []string{"nope.yaml"}},
		"every problem at once": {args: []string{"validate", "--policy", bad}, code: 1, wantStderr: []string{
			bad + ":5:5:", bad + ":6:5:", bad + ":6:11:", "sseguard validate: the policy has 3 problems;", "nothing was read from or changed in AWS"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantOut, out)
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

const accountsPolicy = "../policy/testdata/ok/accounts.yaml"

// For a policy listing accounts, iam-policy prints the role of a listed account, the home role
// (which assumes the listed roles) and a member role's trust policy, as iamgen's goldens hold them.
func TestIAMPolicyAccounts(t *testing.T) {
	t.Parallel()
	for golden, args := range map[string][]string{
		"accounts-member-apply":      {"--role", "apply", "--account", "111122223333"},
		"accounts-home-plan":         {"--role", "plan", "--account", "123456789012"},
		"accounts-trust-external-id": {"--role", "apply", "--trust", "--account", "111122223333", "--assumed-by", "arn:aws:iam::123456789012:role/sseguard-apply"},
	} {
		code, out, errOut := run(t, append([]string{"iam-policy", "--policy", accountsPolicy}, args...)...)
		want, err := os.ReadFile("../iamgen/testdata/" + golden + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if code != ExitOK || out != string(want) {
			t.Errorf("iam-policy %v = %d, output differs from iamgen's golden %s:\n%s%s", args, code, golden, out, errOut)
		}
	}
}

// iam-policy prints the generated policies as valid JSON, offline, and refuses what it cannot
// scope.
func TestIAMPolicyCommand(t *testing.T) {
	t.Parallel()
	for _, role := range []string{"plan", "apply"} {
		code, out, errOut := run(t, "iam-policy", "--role", role, "--policy", "../../policy.example.yaml")
		want, err := os.ReadFile("../iamgen/testdata/example-" + role + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if code != ExitOK || out != string(want) {
			t.Errorf("iam-policy --role %s = %d, output differs from iamgen's golden:\n%s%s", role, code, out, errOut)
		}
	}
	code, out, _ := run(t, "iam-policy", "--role", "apply", "--trust", "--repo", "octo-org/media", "--policy", "../../policy.example.yaml")
	if code != ExitOK || !json.Valid([]byte(out)) || !strings.Contains(out, `"repo:octo-org/media:ref:refs/heads/main"`) {
		t.Errorf("trust = %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"iam-policy", "--role", "admin", "--policy", "../../policy.example.yaml"},
		{"iam-policy", "--role", "apply", "--policy", "does-not-exist.yaml"},
		{"iam-policy", "--role", "apply", "--trust", "--repo", "not a repo", "--account", "123456789012"},
		{"iam-policy", "--role", "plan", "--partition", "mars", "--policy", "../../policy.example.yaml"},
		{"iam-policy", "--role", "apply", "--assumed-by", "arn:aws:iam::123456789012:role/x", "--policy", accountsPolicy},
		{"iam-policy", "--role", "apply", "--trust", "--account", "111122223333", "--policy", accountsPolicy},
	} {
		if code, out, errOut := run(t, args...); code != ExitError || out != "" || errOut == "" {
			t.Errorf("%v = %d, want 1 with an error on stderr and nothing on stdout\n%s%s", args, code, out, errOut)
		}
	}
}
