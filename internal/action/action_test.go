package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	"github.com/sseguard/sseguard/internal/jsonplan"
	"github.com/sseguard/sseguard/internal/pipeline"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/report"
	"github.com/sseguard/sseguard/internal/testsupport/golden"
	"github.com/sseguard/sseguard/internal/version"
)

// fakePipeline returns canned plans and records what it was asked. The real pipeline is run
// end to end against moto elsewhere; here what matters is what the action does with its answers.
type fakePipeline struct {
	plan    *plan.Plan
	results []plan.Result
	err     error
	// progress is written to the progress log during Plan and Apply (after the plan is shown to
	// the before-apply hook, as the real pipeline does).
	progress string

	// account, when set, is announced to the run's account hook before anything else, as the
	// real pipeline does once STS answers.
	account string

	planCalls, applyCalls []string
	log                   io.Writer
	beforeApply           func(*plan.Plan)
}

// Run takes the run's progress log and before-apply hook, and plans or applies as op says.
func (f *fakePipeline) Run(ctx context.Context, op pipeline.Operation) (*plan.Plan, []plan.Result, error) {
	f.log, f.beforeApply = op.View.Progress, op.Hooks.BeforeApply
	if f.account != "" && op.Hooks.OnAccount != nil {
		op.Hooks.OnAccount(f.account)
	}
	if op.Mode == plan.ModeApply {
		return f.Apply(ctx, op.PolicyPath)
	}
	pl, err := f.Plan(ctx, op.PolicyPath)
	return pl, nil, err
}

func (f *fakePipeline) writeProgress() {
	if f.log != nil && f.progress != "" {
		io.WriteString(f.log, f.progress)
	}
}

func (f *fakePipeline) Plan(_ context.Context, path string) (*plan.Plan, error) {
	f.planCalls = append(f.planCalls, path)
	f.writeProgress()
	if f.plan == nil {
		return nil, f.err
	}
	return clonePlan(f.plan), f.err
}

func (f *fakePipeline) Apply(_ context.Context, path string) (*plan.Plan, []plan.Result, error) {
	f.applyCalls = append(f.applyCalls, path)
	if f.plan != nil && f.beforeApply != nil {
		f.beforeApply(clonePlan(f.plan))
	}
	// Each result as the real pipeline prints it while apply goes (report.ResultLine), then the
	// rest of the progress (which may end without a newline: the action flushes it).
	for _, r := range f.results {
		if f.log != nil {
			io.WriteString(f.log, report.ResultLine(r)+"\n")
		}
	}
	f.writeProgress()
	if f.plan == nil {
		return nil, nil, f.err
	}
	return clonePlan(f.plan), f.results, f.err
}

func clonePlan(p *plan.Plan) *plan.Plan {
	c := *p
	return &c
}

// driftPlan has one drifted bucket (line 9), one in sync (line 17) and one warning.
func driftPlan() *plan.Plan {
	return &plan.Plan{PolicyPath: "ignored: the action sets it", Account: "123456789012",
		Buckets: []plan.BucketStatus{
			{Name: "media-hls", Region: "us-east-1", Line: 9, Status: plan.Drift, Required: "SSE-KMS alias/hls (bucket key)",
				Observed: "SSE-S3 (AES256)", Changes: []string{"create-key/us-east-1/alias/hls", "set-default-encryption/media-hls"}},
			{Name: "thumbs", Region: "us-east-1", Line: 17, Status: plan.InSync, Required: "SSE-S3 (AES256)", Observed: "SSE-S3 (AES256)"},
		},
		Changes: []plan.Change{
			{ID: "create-key/us-east-1/alias/hls", Kind: plan.CreateKey, Alias: "alias/hls", Region: "us-east-1", Line: 4,
				Before: "no key", After: "customer managed key alias/hls: Videos"},
			{ID: "set-default-encryption/media-hls", Kind: plan.SetDefaultEncryption, Bucket: "media-hls", Region: "us-east-1", Line: 9,
				Before: "SSE-S3 (AES256)", After: "SSE-KMS alias/hls (bucket key)", DependsOn: []string{"create-key/us-east-1/alias/hls"}},
		},
		Blockers: []plan.Blocker{},
		Warnings: []plan.Warning{{Code: "observed-key-disabled", Bucket: "thumbs", Line: 17,
			Message: "bucket thumbs is currently encrypted with a disabled key\n::error::not a command"}},
	}
}

func inSyncPlan() *plan.Plan {
	return &plan.Plan{Account: "123456789012",
		Buckets: []plan.BucketStatus{{Name: "media-hls", Region: "us-east-1", Line: 9, Status: plan.InSync,
			Required: "SSE-S3 (AES256)", Observed: "SSE-S3 (AES256)"}},
		Changes: []plan.Change{}, Blockers: []plan.Blocker{}, Warnings: []plan.Warning{}}
}

// runner is the environment a container step gets: INPUT_*, GITHUB_*, and real files.
type runner struct {
	env     map[string]string
	out     bytes.Buffer
	dir     string
	summary string
	output  string
}

func newRunner(t *testing.T, event string) *runner {
	t.Helper()
	dir := t.TempDir()
	r := &runner{dir: dir, summary: filepath.Join(dir, "step_summary"), output: filepath.Join(dir, "output")}
	ws := filepath.Join(dir, "workspace")
	tmp := filepath.Join(dir, "runner_temp")
	for _, d := range []string{ws, tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{r.summary, r.output} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eventPath, err := filepath.Abs(filepath.Join("testdata", "events", event+".json"))
	if err != nil {
		t.Fatal(err)
	}
	ref := "refs/heads/main"
	if event == "pull_request" {
		ref = "refs/pull/43/merge"
	}
	r.env = map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_EVENT_NAME":   event,
		"GITHUB_EVENT_PATH":   eventPath,
		"GITHUB_REF":          ref,
		"GITHUB_WORKSPACE":    ws,
		"GITHUB_STEP_SUMMARY": r.summary,
		"GITHUB_OUTPUT":       r.output,
		"GITHUB_REPOSITORY":   "example-org/media-infra",
		"RUNNER_TEMP":         tmp,
		"INPUT_POLICY":        "infra/sseguard.yaml",
	}
	return r
}

func (r *runner) run(t *testing.T, p Pipeline) int {
	t.Helper()
	a := githubactions.New(githubactions.WithWriter(&r.out), githubactions.WithGetenv(func(k string) string { return r.env[k] }))
	return Run(context.Background(), a, p)
}

func (r *runner) summaryText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(r.summary)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// planJSON is the JSON plan's path: the plan-json output is relative to the workspace.
func (r *runner) planJSON(t *testing.T) string {
	t.Helper()
	return filepath.Join(r.env["GITHUB_WORKSPACE"], r.outputs(t)["plan-json"])
}

// outputs parses GITHUB_OUTPUT's "name<<delimiter\nvalue\ndelimiter" records.
func (r *runner) outputs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(r.output)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i+2 < len(lines); i += 3 {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok || lines[i+2] != delim {
			t.Fatalf("malformed GITHUB_OUTPUT at line %d: %q", i+1, string(b))
		}
		got[name] = lines[i+1]
	}
	return got
}

func TestRunPullRequestDriftPlansOnly(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "pull_request")
	fake := &fakePipeline{plan: driftPlan()}
	if code := r.run(t, fake); code != ExitOK {
		t.Errorf("exit code %d, want %d\n%s", code, ExitOK, r.out.String())
	}
	if len(fake.applyCalls) != 0 {
		t.Errorf("Apply was called on a pull_request: %v", fake.applyCalls)
	}
	if want := []string{filepath.Join(r.env["GITHUB_WORKSPACE"], "infra", "sseguard.yaml")}; !cmp.Equal(fake.planCalls, want) {
		t.Errorf("Plan calls = %v, want %v", fake.planCalls, want)
	}
	wantOut := map[string]string{"drift": "true", "changes": "2", "blockers": "0", "applied": "0",
		"plan-json": "sseguard-plan-infra-sseguard.json"}
	if diff := cmp.Diff(wantOut, r.outputs(t)); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if s := r.summaryText(t); !strings.HasPrefix(s, "### 🟠 sseguard plan: 2 changes pending") || !strings.Contains(s, "| media-hls | 9 |") {
		t.Errorf("summary lacks the verdict or the drifted bucket:\n%s", s)
	}
	var doc jsonplan.Document
	b, err := os.ReadFile(filepath.Join(r.env["GITHUB_WORKSPACE"], wantOut["plan-json"]))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Mode != "plan" || doc.Summary.Changes != 2 || doc.Plan.Policy != "infra/sseguard.yaml" {
		t.Errorf("JSON plan: err %v, mode %q, summary %+v", err, doc.Mode, doc.Summary)
	}
	// The JSON plan and the summary's footer say the running build's version (whatever it is).
	if v := version.Get().Short(); doc.SseguardVersion != v || !strings.Contains(r.summaryText(t), "<sub>The full plan is in sseguard-plan-infra-sseguard.json (the `plan-json` output). · sseguard "+report.MarkdownText(v)+"</sub>") {
		t.Errorf("JSON plan sseguard_version %q, want %q; summary:\n%s", doc.SseguardVersion, v, r.summaryText(t))
	}
	goldenStdout(t, "pull_request-drift.txt", r.out.String())
}

func TestRunPullRequestApplyRefused(t *testing.T) {
	t.Parallel()
	for _, event := range []string{"pull_request", "pull_request_target"} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t, "pull_request")
			r.env["GITHUB_EVENT_NAME"] = event
			r.env["INPUT_MODE"] = "apply"
			fake := &fakePipeline{plan: driftPlan()}
			if code := r.run(t, fake); code != ExitFailure {
				t.Errorf("exit code %d, want %d", code, ExitFailure)
			}
			if len(fake.applyCalls)+len(fake.planCalls) != 0 {
				t.Errorf("the pipeline was called: plan %v, apply %v", fake.planCalls, fake.applyCalls)
			}
			want := "::error::sseguard refused to apply: mode is apply but the event is " + event +
				": sseguard never applies from a pull request, because a pull request (from a fork, too) must not be able to change production encryption"
			if !strings.Contains(r.out.String(), want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.out.String())
			}
			if s := r.summaryText(t); !strings.Contains(s, "refused to apply") || !strings.Contains(s, "never applies from a pull request") {
				t.Errorf("summary does not say why:\n%s", s)
			}
		})
	}
}

// TestRunRefusesApplyOnOtherEvents runs mode apply on the apply branch for every event that must
// not apply: the step fails saying why, and the pipeline is not called at all (no Apply, and no
// Plan either: nothing is read from AWS on a run that is refused).
func TestRunRefusesApplyOnOtherEvents(t *testing.T) {
	t.Parallel()
	for _, event := range []string{"workflow_run", "repository_dispatch", "issue_comment", "merge_group", "deployment",
		"deployment_status", "pull_request_target", "release", "check_suite", "", "some_future_event"} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t, "push")
			r.env["GITHUB_EVENT_NAME"] = event
			r.env["INPUT_MODE"] = "apply"
			fake := &fakePipeline{plan: driftPlan(), results: []plan.Result{{ChangeID: "x", Outcome: plan.Done}}}
			if code := r.run(t, fake); code != ExitFailure {
				t.Errorf("exit code %d, want %d", code, ExitFailure)
			}
			if len(fake.applyCalls)+len(fake.planCalls) != 0 {
				t.Errorf("the pipeline was called: plan %v, apply %v", fake.planCalls, fake.applyCalls)
			}
			if !strings.Contains(r.out.String(), "::error::sseguard refused to apply: mode is apply but the ") {
				t.Errorf("stdout does not say why:\n%s", r.out.String())
			}
			if s := r.summaryText(t); !strings.Contains(s, "refused to apply") {
				t.Errorf("summary does not say why:\n%s", s)
			}
			if out := r.outputs(t); len(out) != 0 {
				t.Errorf("a refused run sets outputs: %v", out)
			}

			// Mode auto plans on the same event.
			r = newRunner(t, "push")
			r.env["GITHUB_EVENT_NAME"] = event
			fake = &fakePipeline{plan: driftPlan()}
			if code := r.run(t, fake); code != ExitOK || len(fake.applyCalls) != 0 || len(fake.planCalls) != 1 {
				t.Errorf("mode auto: exit %d, plan %v, apply %v", code, fake.planCalls, fake.applyCalls)
			}
		})
	}
}

func TestRunPushToMainApplies(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "push")
	r.env["INPUT_JSON-FILE"] = "out/sseguard-plan.json"
	fake := &fakePipeline{plan: driftPlan(), results: []plan.Result{
		{ChangeID: "create-key/us-east-1/alias/hls", Outcome: plan.Done, Detail: "created arn:aws:kms:us-east-1:123456789012:key/1234"},
		{ChangeID: "set-default-encryption/media-hls", Outcome: plan.Done},
	}}
	if code := r.run(t, fake); code != ExitOK {
		t.Errorf("exit code %d, want %d\n%s", code, ExitOK, r.out.String())
	}
	if len(fake.applyCalls) != 1 || len(fake.planCalls) != 0 {
		t.Errorf("want one Apply and no Plan: apply %v, plan %v", fake.applyCalls, fake.planCalls)
	}
	out := r.outputs(t)
	if out["applied"] != "2" || out["plan-json"] != "out/sseguard-plan.json" {
		t.Errorf("outputs = %v", out)
	}
	if _, err := os.Stat(filepath.Join(r.env["GITHUB_WORKSPACE"], "out", "sseguard-plan.json")); err != nil {
		t.Errorf("a relative json-file is written in the workspace: %v", err)
	}
	if strings.HasPrefix(r.out.String(), "::error") || strings.Contains(r.out.String(), "\n::error") {
		t.Errorf("a fully applied run has no error annotations:\n%s", r.out.String())
	}
	if s := r.summaryText(t); !strings.HasPrefix(s, "### ✅ sseguard apply: 2 applied") {
		t.Errorf("summary:\n%s", s)
	}
}

func TestRunPushToOtherBranchPlans(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "push")
	r.env["GITHUB_REF"] = "refs/heads/feature/hls"
	fake := &fakePipeline{plan: driftPlan()}
	if code := r.run(t, fake); code != ExitOK {
		t.Errorf("exit code %d, want %d", code, ExitOK)
	}
	if len(fake.applyCalls) != 0 || len(fake.planCalls) != 1 {
		t.Errorf("want one Plan and no Apply: apply %v, plan %v", fake.applyCalls, fake.planCalls)
	}

	r = newRunner(t, "push")
	r.env["GITHUB_REF"] = "refs/heads/feature/hls"
	r.env["INPUT_MODE"] = "apply"
	fake = &fakePipeline{plan: driftPlan()}
	if code := r.run(t, fake); code != ExitFailure || len(fake.applyCalls) != 0 {
		t.Errorf("mode apply off the apply branch: exit %d, apply calls %v", code, fake.applyCalls)
	}
	if !strings.Contains(r.out.String(), "mode is apply but the ref is refs/heads/feature/hls, not refs/heads/main") {
		t.Errorf("stdout:\n%s", r.out.String())
	}
}

func TestRunFailOnDrift(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		plan *plan.Plan
		want int
	}{
		"drift":   {driftPlan(), ExitFailure},
		"in sync": {inSyncPlan(), ExitOK},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t, "pull_request")
			r.env["INPUT_FAIL-ON-DRIFT"] = "true"
			if code := r.run(t, &fakePipeline{plan: tc.plan}); code != tc.want {
				t.Errorf("exit code %d, want %d\n%s", code, tc.want, r.out.String())
			}
		})
	}
}

func TestRunFailures(t *testing.T) {
	t.Parallel()
	blocked := driftPlan()
	blocked.Buckets[1].Status = plan.Blocked
	blocked.Blockers = []plan.Blocker{{Code: plan.BlockKeyPendingDelete, Bucket: "thumbs", Alias: "alias/old", Line: 17,
		Message: "KEY alias/old IS PENDING DELETION"}}
	tests := map[string]struct {
		event  string
		inputs map[string]string
		fake   *fakePipeline
		want   []string // in stdout
	}{
		"blocker": {event: "pull_request", fake: &fakePipeline{plan: blocked},
			want: []string{"::error file=infra/sseguard.yaml,line=17,title=sseguard%3A bucket thumbs is blocked::[key-pending-deletion] KEY alias/old IS PENDING DELETION. Nothing is changed for this bucket."}},
		"failed change": {event: "push", fake: &fakePipeline{plan: driftPlan(), results: []plan.Result{
			{ChangeID: "create-key/us-east-1/alias/hls", Outcome: plan.Done},
			{ChangeID: "set-default-encryption/media-hls", Outcome: plan.Failed, Error: "api error AccessDenied: not authorized"}}},
			want: []string{"::error::1 change(s) failed or could not be verified: set-default-encryption/media-hls (the job summary has each error)",
				"failed     set-default-encryption/media-hls: api error AccessDenied: not authorized",
				"::error file=infra/sseguard.yaml,line=9,title=sseguard%3A bucket media-hls was not fully applied::set-default-encryption/media-hls failed: api error AccessDenied: not authorized."}},
		"pipeline error": {event: "pull_request", fake: &fakePipeline{err: errors.New("observe: get caller identity: no credentials")},
			want: []string{"::error::sseguard stopped: observe: get caller identity: no credentials"}},
		"invalid policy": {event: "pull_request", fake: &fakePipeline{err: policy.Errors{
			{Path: "/x/infra/sseguard.yaml", Line: 12, Column: 17, Message: `unknown field "encrypton"`},
			{Path: "/x/infra/sseguard.yaml", Line: 20, Column: 14, Message: `kms_key "alias/aws/s3" is an AWS managed key`}}},
			want: []string{
				"::error col=17,file=infra/sseguard.yaml,line=12,title=sseguard%3A invalid policy::unknown field \"encrypton\"",
				"::error col=14,file=infra/sseguard.yaml,line=20,title=sseguard%3A invalid policy::kms_key \"alias/aws/s3\" is an AWS managed key",
			}},
		"wrapped policy errors": {event: "pull_request", fake: &fakePipeline{err: fmtWrap(policy.Errors{{Line: 3, Column: 1, Message: "version must be 1"}})},
			want: []string{"::error col=1,file=infra/sseguard.yaml,line=3,title=sseguard%3A invalid policy::version must be 1"}},
		"invalid inputs": {event: "pull_request", inputs: map[string]string{"INPUT_MODE": "yolo", "INPUT_FAIL-ON-DRIFT": "yes"}, fake: &fakePipeline{plan: driftPlan()},
			want: []string{`::error::sseguard invalid inputs: input mode is "yolo": it must be auto, plan or apply`,
				`::error::sseguard invalid inputs: input fail-on-drift is "yes": it must be true or false`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t, tc.event)
			for k, v := range tc.inputs {
				r.env[k] = v
			}
			if code := r.run(t, tc.fake); code != ExitFailure {
				t.Errorf("exit code %d, want %d", code, ExitFailure)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.out.String(), w+"\n") {
					t.Errorf("stdout lacks line %q:\n%s", w, r.out.String())
				}
			}
			s := r.summaryText(t)
			if s == "" {
				t.Errorf("no job summary")
			}
			// Every summary, a failure's too, says which sseguard wrote it.
			if want := "sseguard " + version.Get().Short() + "</sub>"; !strings.Contains(s, want) {
				t.Errorf("the job summary does not name the version (%q):\n%s", want, s)
			}
		})
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("load policy"), err) }

// TestRunLocal checks a run without the runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
// RUNNER_TEMP, an event file) neither panics nor fails.
func TestRunLocal(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	env := map[string]string{"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_REF": "refs/heads/main", "INPUT_MODE": "plan"}
	a := githubactions.New(githubactions.WithWriter(&out), githubactions.WithGetenv(func(k string) string { return env[k] }))
	fake := &fakePipeline{plan: inSyncPlan()}
	if code := Run(context.Background(), a, fake); code != ExitOK {
		t.Errorf("exit code %d\n%s", code, out.String())
	}
	if !cmp.Equal(fake.planCalls, []string{"sseguard.yaml"}) {
		t.Errorf("plan calls %v", fake.planCalls)
	}
}

func TestRunMasksSecrets(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "pull_request")
	r.env["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	r.env["AWS_SESSION_TOKEN"] = "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
	r.run(t, &fakePipeline{plan: inSyncPlan()})
	lines := strings.SplitN(r.out.String(), "\n", 3)
	want := []string{"::add-mask::wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "::add-mask::IQoJb3JpZ2luX2VjEXAMPLETOKEN"}
	if diff := cmp.Diff(want, lines[:2]); diff != "" {
		t.Errorf("the first lines must mask the secrets (-want +got):\n%s", diff)
	}
}

// goldenStdout compares got with testdata/stdout/<name>, or rewrites it with -update.
func goldenStdout(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "stdout", name), got)
}
