package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/testsupport/golden"
	"github.com/sseguard/sseguard/internal/version"
)

// What sseguard prints about itself: the usage, each command's help (its own flags, nothing
// else), the version, and a near miss of a command, a flag or a policy field. Goldens under
// testdata/cli (go test -update rewrites them).
func TestSelfDescription(t *testing.T) {
	t.Cleanup(func() { buildInfo = version.Get })
	buildInfo = func() version.Info {
		return version.Info{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567", Go: "go1.26.8", Platform: "linux/amd64"}
	}
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte("version: 1\nbuckets:\n  - name: media-hls\n    encyption: sse-s3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		args []string
		code int
	}{
		"usage":             {[]string{"--help"}, ExitOK},
		"version":           {[]string{"version"}, ExitOK},
		"version-flag":      {[]string{"--version"}, ExitOK},
		"mistyped-command":  {[]string{"paln"}, ExitError},
		"mistyped-flag":     {[]string{"plan", "--polcy", "sseguard.yaml"}, ExitError},
		"mistyped-field":    {[]string{"validate", "--policy", typo}, ExitError},
		"unknown-iam-flag":  {[]string{"iam-policy", "--rol", "plan"}, ExitError},
		"no-suggestion-far": {[]string{"apply", "--force"}, ExitError},
	}
	for _, c := range commands {
		cases["help-"+c.name] = struct {
			args []string
			code int
		}{[]string{c.name, "--help"}, ExitOK}
	}
	for name, tc := range cases {
		code, out, errOut := run(t, tc.args...)
		if code != tc.code {
			t.Errorf("%s: sseguard %v = %d, want %d\n%s%s", name, tc.args, code, tc.code, out, errOut)
		}
		got := "$ sseguard " + strings.Join(tc.args, " ") + "\n--- stdout\n" + out + "--- stderr\n" + errOut
		got = strings.ReplaceAll(got, dir, "DIR")
		golden.Check(t, filepath.Join("testdata", "cli", name+".golden"), got)
	}
}

// Every flag a command's help lists is one its flag set takes, and every one it takes is listed:
// the help is built from the flag set itself, and this holds it to that.
func TestHelpListsExactlyTheFlags(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		_, out, _ := run(t, c.name, "--help")
		for _, line := range strings.Split(out, "\n") {
			f, ok := strings.CutPrefix(line, "  --")
			if !ok {
				continue
			}
			name, _, _ := strings.Cut(f, " ")
			code, _, errOut := run(t, c.name, "--"+name, "--help")
			if strings.Contains(errOut, "unknown flag") {
				t.Errorf("sseguard %s --help lists --%s, which it refuses (%d): %s", c.name, name, code, errOut)
			}
		}
	}
}
