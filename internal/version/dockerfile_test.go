package version

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// dockerRuns returns the build stage's RUN commands of the Dockerfile (continuation lines
// joined), as the image build runs them with /bin/sh -c.
func dockerRuns(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", "")
	build := text[:strings.LastIndex(text, "\nFROM ")]
	var runs []string
	for _, line := range strings.Split(build, "\n") {
		if cmd, ok := strings.CutPrefix(line, "RUN "); ok {
			runs = append(runs, cmd)
		}
	}
	if !strings.Contains(build, "\nARG VERSION") || !strings.Contains(build, "\nARG COMMIT") {
		t.Fatalf("the Dockerfile's build stage takes no VERSION and COMMIT build args")
	}
	return runs
}

// dockerRun returns the one RUN command of the build stage that holds want.
func dockerRun(t *testing.T, want string) string {
	t.Helper()
	var found []string
	for _, r := range dockerRuns(t) {
		if strings.Contains(r, want) {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d RUN commands of the Dockerfile hold %q, want 1", len(found), want)
	}
	return found[0]
}

const testCommit = "0123456789abcdef0123456789abcdef01234567"

// The image build refuses build args that are not a version and a commit: they would reach the
// linker's -X (a space splits the flags) and every report.
func TestDockerfileChecksTheStamp(t *testing.T) {
	t.Parallel()
	check := dockerRun(t, `"$VERSION"`)
	for _, tc := range []struct {
		version, commit string
		ok              bool
	}{
		{"", "", true},
		{"v1.2.3", testCommit, true},
		{"v2.0.0-rc.1", "", true},
		{"1.2.3", testCommit, false},
		{"v1.2.3 -X main.x=y", testCommit, false},
		{"v1.2.3\nv1.2.4", "", false},
		{"v1.2.3", "0123456", false},
		{"v1.2.3", testCommit + " -s", false},
	} {
		cmd := exec.Command("sh", "-c", check)
		cmd.Env = append(os.Environ(), "VERSION="+tc.version, "COMMIT="+tc.commit)
		out, err := cmd.CombinedOutput()
		if (err == nil) != tc.ok {
			t.Errorf("VERSION=%q COMMIT=%q: error %v, want ok %v\n%s", tc.version, tc.commit, err, tc.ok, out)
		}
	}
}

// The image's binary says the version and commit the release workflow passes (in the long tier:
// it builds sseguard once more with the Dockerfile's own command).
func TestDockerfileStampsTheVersion(t *testing.T) {
	if os.Getenv("SSEGUARD_LONG") != "1" {
		t.Log("the image's build command runs in the long tier (SSEGUARD_LONG=1)")
		return
	}
	build := dockerRun(t, "go build")
	out := filepath.Join(t.TempDir(), "sseguard")
	if !strings.Contains(build, " -o /sseguard ") {
		t.Fatalf("the build command writes no /sseguard: %s", build)
	}
	cmd := exec.Command("sh", "-c", strings.Replace(build, " -o /sseguard ", " -o "+out+" ", 1))
	cmd.Dir = filepath.Join("..", "..")
	// The build context holds no .git (.dockerignore): no VCS information, as in the image.
	cmd.Env = append(os.Environ(), "VERSION=v0.0.0-test", "COMMIT="+testCommit, "GOFLAGS=-buildvcs=false")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, b)
	}
	got, err := exec.Command(out, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "sseguard v0.0.0-test (commit 0123456789ab, " + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if string(got) != want {
		t.Errorf("version = %q, want %q", got, want)
	}
}
