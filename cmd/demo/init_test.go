package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/demo"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// TestInitOnTheDemoAccount: `sseguard init` on the account the demo seeds writes a policy that
// validates, and `plan --detailed-exitcode` on it exits 0 (issue 12: adoption changes nothing).
// The built binary runs against the strict AWS layer, as a user's would against AWS.
func TestInitOnTheDemoAccount(t *testing.T) {
	layer := awstest.ForTest(t, awstest.Options{})
	ctx := context.Background()
	c, err := awsclient.ForEndpoint(ctx, layer.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, c, motoserver.Account); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := sseguardBinary(t)
	run := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), layer.Env()...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), stdout.String(), stderr.String()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, stdout.String(), stderr.String()
	}

	code, written, stderr := run("init", "--buckets", "media-*", "--account-id-from-caller")
	t.Logf("init wrote:\n%s", written)
	if code != 0 {
		t.Fatalf("init = %d\n%s\n%s", code, stderr, written)
	}
	pol := filepath.Join(dir, "sseguard.yaml")
	if err := os.WriteFile(pol, []byte(written), 0o644); err != nil {
		t.Fatal(err)
	}
	// media-hls (SSE-S3) and media-masters-eu (no rule configured: SSE-S3, as every bucket since
	// 2023) are adopted; media-thumbnails uses the AWS managed key aws/s3 and is commented out.
	for _, want := range []string{"- name: media-hls", "- name: media-masters-eu", "#   - name: media-thumbnails"} {
		if !strings.Contains(written, want) {
			t.Errorf("init's policy lacks %q:\n%s", want, written)
		}
	}
	if code, out, errs := run("validate", "--policy", pol); code != 0 {
		t.Fatalf("validate = %d\n%s%s\n%s", code, out, errs, written)
	}
	if code, out, errs := run("plan", "--policy", pol, "--detailed-exitcode"); code != 0 {
		t.Fatalf("plan --detailed-exitcode = %d, want 0 (in sync)\n%s%s\n%s", code, out, errs, written)
	}
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// sseguardBinary builds the sseguard command from this tree once for the package's tests.
func sseguardBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sseguard-demo-test-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "sseguard")
		if out, err := exec.Command("go", "build", "-o", built, "../..").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}
