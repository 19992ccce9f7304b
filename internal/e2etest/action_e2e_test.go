package e2etest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runner is one simulated GitHub Actions container step: the environment the runner gives a
// docker action (INPUT_*, GITHUB_*), with real files for the event, outputs and summary.
type runner struct {
	e       *e2e
	ws      string
	summary string
	output  string
}

func newRunner(e *e2e) *runner {
	ws := filepath.Join(e.dir, "workspace")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		e.t.Fatal(err)
	}
	return &runner{e: e, ws: ws}
}

func (r *runner) run(event, ref string, inputs map[string]string) (int, string) {
	r.e.t.Helper()
	payload := `{"repository":{"default_branch":"main","full_name":"acme/media"}}`
	if strings.HasPrefix(event, "pull_request") {
		payload = `{"number":7,"pull_request":{"head":{"ref":"change"},"base":{"ref":"main"}},"repository":{"default_branch":"main","full_name":"acme/media"}}`
	}
	return r.runWith(event, ref, inputs, payload, nil)
}

// runWith runs the step with an event payload of its own and more of the runner's environment
// (extraEnv comes last, so it wins over the test process's own).
func (r *runner) runWith(event, ref string, inputs map[string]string, payload string, extraEnv []string) (int, string) {
	t := r.e.t
	t.Helper()
	dir := t.TempDir()
	eventPath := filepath.Join(dir, "event.json")
	r.summary = filepath.Join(dir, "summary.md")
	r.output = filepath.Join(dir, "output")
	for _, f := range []string{r.summary, r.output} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(eventPath, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	// The step runs with the role the workflow would give it: the apply role on the apply branch's
	// push, the plan role everywhere else, each with the policy `sseguard iam-policy` generates.
	role := "plan"
	if event == "push" && ref == "refs/heads/main" {
		role = "apply"
	}
	if pf := inputs["policy"]; pf != "" && !r.e.ownIAM {
		r.e.grant(role, filepath.Join(r.ws, pf))
	}
	env := r.e.runEnv()
	env = append(env, "GITHUB_ACTIONS=true", "GITHUB_EVENT_NAME="+event, "GITHUB_REF="+ref,
		"GITHUB_EVENT_PATH="+eventPath, "GITHUB_STEP_SUMMARY="+r.summary, "GITHUB_OUTPUT="+r.output,
		"GITHUB_WORKSPACE="+r.ws, "GITHUB_REPOSITORY=acme/media", "RUNNER_TEMP="+dir)
	for k, v := range inputs {
		env = append(env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	env = append(env, extraEnv...)
	// e.sseguard fails the test on any request the layer refuses under the granted policy.
	return r.e.sseguard(env)
}

func (r *runner) outputs() map[string]string {
	raw, err := os.ReadFile(r.output)
	if err != nil {
		r.e.t.Fatal(err)
	}
	out := map[string]string{}
	re := regexp.MustCompile(`(?m)^([a-z-]+)<<(\S+)\n(.*)\n(\S+)$`)
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		out[m[1]] = m[3]
	}
	return out
}

func (r *runner) summaryText() string {
	raw, err := os.ReadFile(r.summary)
	if err != nil {
		r.e.t.Fatal(err)
	}
	return string(raw)
}

func TestE2EActionPlansOnPullRequestAndAppliesOnMain(t *testing.T) {
	e := newE2E(t)
	bucket, alias := e.name("media-hls"), e.alias("gha")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	e.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
		`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`)
	r := newRunner(e)
	if err := os.MkdirAll(filepath.Join(r.ws, "infra"), 0o755); err != nil {
		t.Fatal(err)
	}
	policy := "version: 1\nkeys:\n  - alias: " + alias + "\n    description: from the action\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n    existing_objects: reencrypt\n"
	if err := os.WriteFile(filepath.Join(r.ws, "infra", "sseguard.yaml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	in := map[string]string{"policy": "infra/sseguard.yaml"}
	unchanged := func() {
		t.Helper()
		if alg := dig(e.aws("s3api", "get-bucket-encryption", "--bucket", bucket),
			"ServerSideEncryptionConfiguration", "Rules", 0, "ApplyServerSideEncryptionByDefault", "SSEAlgorithm"); alg != "AES256" {
			t.Fatalf("bucket encryption changed to %v on a pull request", alg)
		}
		if n := e.keysTagged(alias); n != 0 {
			t.Fatalf("%d keys created on a pull request", n)
		}
	}

	code, out := r.run("pull_request", "refs/pull/7/merge", in)
	if code != 0 {
		t.Fatalf("pull_request with drift = %d, want 0\n%s", code, out)
	}
	unchanged()
	if o := r.outputs(); o["drift"] != "true" || o["changes"] != "3" || o["applied"] != "0" {
		t.Errorf("outputs = %v", o)
	}
	if !strings.Contains(out, "::error file=infra/sseguard.yaml,line=6") {
		t.Errorf("no error annotation on the bucket's line (6) of infra/sseguard.yaml:\n%s", out)
	}
	if s := r.summaryText(); !strings.Contains(s, bucket) || !strings.Contains(s, "pending") {
		t.Errorf("summary does not show the drifted bucket:\n%s", s)
	}

	in["fail-on-drift"] = "true"
	if code, out = r.run("pull_request", "refs/pull/7/merge", in); code != 1 {
		t.Errorf("pull_request with fail-on-drift = %d, want 1\n%s", code, out)
	}
	delete(in, "fail-on-drift")

	in["mode"] = "apply"
	code, out = r.run("pull_request", "refs/pull/7/merge", in)
	if code == 0 || !strings.Contains(out, "pull_request") {
		t.Errorf("pull_request with mode apply = %d, want a failure that says why\n%s", code, out)
	}
	unchanged()
	delete(in, "mode")

	if code, out = r.run("push", "refs/heads/feature", in); code != 0 {
		t.Fatalf("push to a feature branch = %d\n%s", code, out)
	}
	unchanged()

	code, out = r.run("push", "refs/heads/main", in)
	if code != 0 {
		t.Fatalf("push to main = %d, want 0\n%s", code, out)
	}
	if o := r.outputs(); o["applied"] != "3" {
		t.Errorf("push to main: outputs = %v, want applied=3 (key, rotation, default encryption)", o)
	}
	if alg := dig(e.aws("s3api", "get-bucket-encryption", "--bucket", bucket),
		"ServerSideEncryptionConfiguration", "Rules", 0, "ApplyServerSideEncryptionByDefault", "SSEAlgorithm"); alg != "aws:kms" {
		t.Errorf("after push to main, bucket encryption = %v, want aws:kms", alg)
	}

	code, out = r.run("push", "refs/heads/main", in)
	if o := r.outputs(); code != 0 || o["drift"] != "false" || o["applied"] != "0" {
		t.Errorf("second push: %d %v, want in sync\n%s", code, o, out)
	}
	if s := r.summaryText(); !strings.Contains(strings.ToLower(s), "in sync") {
		t.Errorf("second push summary should say in sync:\n%s", s)
	}
}
