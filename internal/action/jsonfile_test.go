package action

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/jsonplan"
)

// With no json-file, the plan is a file in the workspace, named relative to it in the plan-json
// output and in the job summary: later steps (actions/upload-artifact, a run step) start in the
// workspace and can open it.
func TestDefaultJSONPlanIsInTheWorkspace(t *testing.T) {
	t.Parallel()
	for policy, name := range map[string]string{"sseguard.yaml": "sseguard-plan.json", "infra/sseguard.yaml": "sseguard-plan-infra-sseguard.json",
		"accounts/prod/s3 policy.yml": "sseguard-plan-accounts-prod-s3-policy.json"} {
		r := newRunner(t, "pull_request")
		r.env["INPUT_POLICY"] = policy
		if code := r.run(t, &fakePipeline{plan: driftPlan()}); code != ExitOK {
			t.Fatalf("%s: exit %d\n%s", policy, code, r.out.String())
		}
		if got := r.outputs(t)["plan-json"]; got != name {
			t.Errorf("%s: plan-json = %q, want %q", policy, got, name)
		}
		var doc jsonplan.Document
		b, err := os.ReadFile(filepath.Join(r.env["GITHUB_WORKSPACE"], name))
		if err != nil || json.Unmarshal(b, &doc) != nil || doc.Summary.Changes != 2 {
			t.Errorf("%s: the JSON plan in the workspace: %v\n%s", policy, err, b)
		}
		if s := r.summaryText(t); !strings.Contains(s, "The full plan is in "+strings.ReplaceAll(name, "_", "&#95;")+" (the `plan-json` output).") {
			t.Errorf("%s: the summary does not name %s:\n%s", policy, name, s)
		}
	}
}

// A file already at the default name is replaced only when it is a JSON plan sseguard wrote (an
// earlier run's); anything else, links included, is left as it is, the next free name is used,
// and the log, the output and the summary all say which.
func TestDefaultJSONPlanNeverOverwritesAnotherFile(t *testing.T) {
	t.Parallel()
	const name = "sseguard-plan-infra-sseguard.json"
	outside := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(outside, []byte("not sseguard's"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		setup func(ws string) error
		want  string
	}{
		"a file of the repository": {func(ws string) error { return os.WriteFile(filepath.Join(ws, name), []byte(`{"mine": true}`), 0o644) },
			"sseguard-plan-infra-sseguard-2.json"},
		"a link":      {func(ws string) error { return os.Symlink(outside, filepath.Join(ws, name)) }, "sseguard-plan-infra-sseguard-2.json"},
		"a directory": {func(ws string) error { return os.Mkdir(filepath.Join(ws, name), 0o755) }, "sseguard-plan-infra-sseguard-2.json"},
		"two taken": {func(ws string) error {
			if err := os.WriteFile(filepath.Join(ws, name), []byte("x"), 0o644); err != nil {
				return err
			}
			return os.Symlink(outside, filepath.Join(ws, "sseguard-plan-infra-sseguard-2.json"))
		}, "sseguard-plan-infra-sseguard-3.json"},
	}
	for what, tc := range tests {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t, "pull_request")
			ws := r.env["GITHUB_WORKSPACE"]
			if err := tc.setup(ws); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, ws)
			if code := r.run(t, &fakePipeline{plan: driftPlan()}); code != ExitOK {
				t.Fatalf("exit %d\n%s", code, r.out.String())
			}
			if got := r.outputs(t)["plan-json"]; got != tc.want {
				t.Errorf("plan-json = %q, want %q", got, tc.want)
			}
			after := snapshot(t, ws)
			for p, content := range before {
				if after[p] != content {
					t.Errorf("%s changed: %q → %q", p, content, after[p])
				}
			}
			if b, _ := os.ReadFile(outside); string(b) != "not sseguard's" {
				t.Errorf("the link's target was written: %q", b)
			}
			if !strings.Contains(r.out.String(), "::warning::the JSON plan is in "+tc.want+": "+name) {
				t.Errorf("no warning says where the plan went:\n%s", r.out.String())
			}
			if s := r.summaryText(t); !strings.Contains(s, "The full plan is in "+strings.ReplaceAll(tc.want, "_", "&#95;")) {
				t.Errorf("the summary does not name %s", tc.want)
			}
		})
	}

	// An earlier run's plan at the default name is sseguard's own: replaced, no warning.
	r := newRunner(t, "pull_request")
	if code := r.run(t, &fakePipeline{plan: inSyncPlan()}); code != ExitOK {
		t.Fatal(r.out.String())
	}
	r.out.Reset()
	if code := r.run(t, &fakePipeline{plan: driftPlan()}); code != ExitOK {
		t.Fatal(r.out.String())
	}
	b, _ := os.ReadFile(filepath.Join(r.env["GITHUB_WORKSPACE"], name))
	if !strings.Contains(string(b), `"changes": 2`) || strings.Contains(r.out.String(), "::warning::the JSON plan is in") {
		t.Errorf("the second run did not replace the first run's plan:\n%s\n%s", b, r.out.String())
	}
}

// A json-file that is a link is refused, not followed: the workspace holds the pull request's
// files.
func TestJSONFileLinkIsNotFollowed(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "pull_request")
	outside := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(outside, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(r.env["GITHUB_WORKSPACE"], "plan.json")); err != nil {
		t.Fatal(err)
	}
	r.env["INPUT_JSON-FILE"] = "plan.json"
	if code := r.run(t, &fakePipeline{plan: driftPlan()}); code != ExitFailure {
		t.Errorf("exit %d, want %d", code, ExitFailure)
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep" {
		t.Errorf("the link's target was written: %q", b)
	}
	if !strings.Contains(r.out.String(), "plan.json is a symbolic link") {
		t.Errorf("the log does not say why:\n%s", r.out.String())
	}
}

// snapshot maps each entry of dir to its content (a link to its target, a directory to "dir").
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch fi, _ := os.Lstat(p); {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[e.Name()] = "link to " + target
		case fi.IsDir():
			out[e.Name()] = "dir"
		default:
			b, _ := os.ReadFile(p)
			out[e.Name()] = string(b)
		}
	}
	return out
}
