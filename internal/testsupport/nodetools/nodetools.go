// Package nodetools runs the pinned npm tools under tools/js (mermaid's parser, the independent IAM
// simulator) for sseguard's tests. Only tests import it.
//
// The packages are pinned by tools/js/package-lock.json and installed with `npm ci --prefix
// tools/js` (.ci/run does it); nothing is installed at test time. When node or node_modules is
// missing, or node_modules does not hold what the lock file pins, the calling test fails and says
// how to install them: it never skips.
package nodetools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// InstallHint says how to install what the tools need.
const InstallHint = "run `npm ci --prefix tools/js` from the repository root (Node.js 20 or later; the versions are pinned in tools/js/package-lock.json)"

// Dir returns the absolute path of tools/js, found by walking up from the working directory to
// the repository root (the directory holding go.mod and tools/js/package.json).
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "tools", "js", "package.json")); err == nil {
			return filepath.Join(d, "tools", "js"), nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no tools/js/package.json above %s", wd)
		}
		d = parent
	}
}

// Check reports why the tools cannot run: node missing, node_modules missing, or an installed
// package whose version differs from the lock file's.
func Check(dir string) error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node not found on PATH (apt-get install nodejs npm); then %s", InstallHint)
	}
	lock, err := readLock(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return err
	}
	for path, want := range lock {
		installed, err := os.ReadFile(filepath.Join(dir, path, "package.json"))
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s is not installed in %s: %s", path, dir, InstallHint)
		}
		if err != nil {
			return err
		}
		var pkg struct{ Version string }
		if err := json.Unmarshal(installed, &pkg); err != nil {
			return fmt.Errorf("read %s/package.json: %w", path, err)
		}
		if pkg.Version != want {
			return fmt.Errorf("%s is %s, the lock file pins %s: %s", path, pkg.Version, want, InstallHint)
		}
	}
	return nil
}

// readLock returns the packages the lock file pins directly for the root package (path under
// node_modules → version).
func readLock(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the lock file: %w", err)
	}
	var lock struct {
		Packages map[string]struct {
			Version      string
			Dependencies map[string]string
		}
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	root, ok := lock.Packages[""]
	if !ok || len(root.Dependencies) == 0 {
		return nil, fmt.Errorf("%s names no dependencies", path)
	}
	out := map[string]string{}
	for name := range root.Dependencies {
		p := "node_modules/" + name
		out[p] = lock.Packages[p].Version
	}
	return out, nil
}

// Run runs `node script` in tools/js with in as JSON on its standard input, and decodes its
// standard output as JSON into out. It fails tb, with the install command, when the tools are not
// installed.
func Run(tb testing.TB, script string, in, out any) {
	tb.Helper()
	dir, err := Dir()
	if err != nil {
		tb.Fatal(err)
	}
	if err := Check(dir); err != nil {
		tb.Fatal(err)
	}
	body, err := json.Marshal(in)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		tb.Fatalf("node %s printed no JSON: %v\n%s\n%s", script, err, stdout.String(), stderr.String())
	}
}
