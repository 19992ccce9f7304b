package action

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/sseguard/sseguard/internal/state"
)

// repoRoot is where action.yml, the Dockerfile and the workflows are.
const repoRoot = "../.."

// TestWorkflowsLint runs actionlint on the project's CI and on the example workflows users copy:
// any finding fails. shellcheck and pyflakes run when installed (actionlint skips them otherwise).
func TestWorkflowsLint(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{".github/workflows/*.yml", "examples/workflows/*.yml"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 3 {
		t.Fatalf("found %d workflow files, want the CI and both examples: %v", len(files), files)
	}
	opts := &actionlint.LinterOptions{Oneline: true}
	if p, err := execPath("shellcheck"); err == nil {
		opts.Shellcheck = p
	}
	if p, err := execPath("pyflakes"); err == nil {
		opts.Pyflakes = p
	}
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFiles(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		t.Errorf("actionlint found %d problems:\n%s", len(errs), out.String())
	}
}

func execPath(name string) (string, error) {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

// TestActionMetadata checks action.yml documents exactly the inputs the action reads and the
// outputs it sets, and runs the container.
func TestActionMetadata(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Name        string
		Description string
		Branding    struct{ Icon, Color string }
		Inputs      map[string]struct {
			Description string
			Required    bool
			Default     *string
		}
		Outputs map[string]struct{ Description string }
		Runs    struct{ Using, Image string }
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Name == "" || meta.Description == "" || meta.Branding.Icon == "" || meta.Branding.Color == "" {
		t.Errorf("action.yml needs name, description and branding: %+v", meta)
	}
	if meta.Runs.Using != "docker" || meta.Runs.Image != "Dockerfile" {
		t.Errorf("runs = %+v, want docker from Dockerfile", meta.Runs)
	}
	wantInputs := map[string]string{"policy": DefaultPolicy, "mode": string(ModeAuto), "apply-branch": "", "fail-on-drift": "false", "json-file": "",
		"concurrency": "", "max-objects": "", "max-duration": "", "requests-per-second": "", "redact-account-id": "false",
		"comment-on-pr": "true", "github-token": "${{ github.token }}", "comment-author": "", "retry-failed-batch-jobs": "false", "prices-file": "",
		"on-plan-change": string(OnPlanChangeRefuse)}
	for name, in := range meta.Inputs {
		want, ok := wantInputs[name]
		switch {
		case !ok:
			t.Errorf("action.yml has input %q, which the action does not read", name)
		case in.Description == "" || in.Default == nil:
			t.Errorf("input %q needs a description and a default", name)
		case *in.Default != want:
			t.Errorf("input %q defaults to %q, the action to %q", name, *in.Default, want)
		}
	}
	if len(meta.Inputs) != len(wantInputs) {
		t.Errorf("action.yml inputs %v, want %v", keys(meta.Inputs), keys(wantInputs))
	}

	// The outputs a run sets (with every optional one: a policy asking for unmanaged buckets).
	r := newRunner(t, "pull_request")
	p := driftPlan()
	p.Unmanaged = &state.Unmanaged{AllRegions: true, Buckets: []state.UnmanagedBucket{}}
	r.run(t, &fakePipeline{plan: p})
	set := keys(r.outputs(t))
	if got := keys(meta.Outputs); !slices.Equal(got, set) {
		t.Errorf("action.yml outputs %v, the action sets %v", got, set)
	}
	for name, o := range meta.Outputs {
		if o.Description == "" {
			t.Errorf("output %q has no description", name)
		}
	}
}

// TestDockerfile checks the rules a container action's image must keep: a static binary, a
// distroless runtime, and no USER or WORKDIR in it (GitHub runs the step as root in the
// workspace, and only root can write the summary and output files).
func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{"FROM golang:1.26 AS build", "RUN go mod download",
		`RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X github.com/sseguard/sseguard/internal/version.stamped=${VERSION} -X github.com/sseguard/sseguard/internal/version.stampedCommit=${COMMIT}" -o /sseguard .`,
		"FROM gcr.io/distroless/static-debian12", `ENTRYPOINT ["/sseguard"]`} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	runtime := text[strings.LastIndex(text, "\nFROM "):]
	for _, line := range strings.Split(runtime, "\n") {
		if f := strings.Fields(line); len(f) > 0 && (strings.EqualFold(f[0], "USER") || strings.EqualFold(f[0], "WORKDIR")) {
			t.Errorf("the runtime stage must not set %s", f[0])
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestCIRunsTheCIScript keeps the project's CI equal to .ci/run: the test job's one command is
// .ci/run (which a developer runs too), so the checks and both test tiers cannot drift apart
// between the two.
func TestCIRunsTheCIScript(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(repoRoot, ".github/workflows/ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var ci struct {
		Jobs map[string]struct {
			Steps []struct{ Uses, Run string }
		}
	}
	if err := yaml.Unmarshal(b, &ci); err != nil {
		t.Fatalf("ci.yml: %v", err)
	}
	var runs []string
	for _, s := range ci.Jobs["test"].Steps {
		if s.Run != "" {
			runs = append(runs, strings.TrimSpace(s.Run))
		}
	}
	if !slices.Equal(runs, []string{".ci/run"}) {
		t.Errorf("ci.yml's test job runs %q, want exactly .ci/run (put any new check in .ci/run)", runs)
	}
	script, err := os.ReadFile(filepath.Join(repoRoot, ".ci/run"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"gofmt -l", "go vet ./...", "shellcheck ", "staticcheck@", "go -C tools test ./...",
		"npm ci --prefix tools/js", "cfn-lint", "\ntime go test ./...\n", "\ntime SSEGUARD_LONG=1 go test -p 1 -timeout 45m ./...\n"} {
		if !strings.Contains(string(script), want) {
			t.Errorf(".ci/run does not run %q", strings.TrimSpace(want))
		}
	}
}
