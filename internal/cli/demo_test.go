package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDemoIsNotInTheBinary: `sseguard demo` and the help point to cmd/demo, the command that
// holds the emulator and the strict AWS layer the shipped binary must not contain.
func TestDemoIsNotInTheBinary(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		"demo":                {args: []string{"demo"}, code: ExitError, stderr: demoMoved + "\n"},
		"demo with arguments": {args: []string{"demo", "--fast"}, code: ExitError, stderr: demoMoved + "\n"},
		"help":                {args: []string{"--help"}, code: ExitOK, stdout: `The demo is not part of this binary: in a clone of the repository, "go run ./cmd/demo"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit = %d, want %d", code, tc.code)
			}
			if tc.stderr != "" && errOut != tc.stderr {
				t.Errorf("stderr = %q, want %q", errOut, tc.stderr)
			}
			if !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, out)
			}
		})
	}
}

// TestRunDemoStepsNeedsAPipeline: the demo's steps never fall back to the default AWS
// configuration, which would reach a real account.
func TestRunDemoStepsNeedsAPipeline(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := RunDemoSteps(context.Background(), Env{Stdout: &out, Stderr: &errb}, "policy.example.yaml"); code != ExitError {
		t.Errorf("exit = %d, want %d", code, ExitError)
	}
	if out.Len() != 0 || !strings.Contains(errb.String(), "no pipeline") {
		t.Errorf("stdout %q, stderr %q: want nothing printed but the refusal", out.String(), errb.String())
	}
}
