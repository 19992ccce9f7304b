package action

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// usesRE picks a step's `uses:` value and the rest of its line (the version comment).
var usesRE = regexp.MustCompile(`(?m)^\s*(?:-\s+)?uses:\s*([^\s#]+)\s*(#.*)?$`)

// pinnedRE is a third-party action pinned by full commit SHA with its version in a comment:
// a tag can be moved to other code, a commit cannot.
var pinnedRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)

// TestThirdPartyActionsArePinnedBySHA checks every workflow users copy (the examples, the README's
// snippets) and the project's own CI.
func TestThirdPartyActionsArePinnedBySHA(t *testing.T) {
	t.Parallel()
	var files []string
	for _, pattern := range []string{".github/workflows/*.yml", "examples/workflows/*.yml", "README.md"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	seen := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range usesRE.FindAllStringSubmatch(string(src), -1) {
			ref, comment := m[1], strings.TrimSpace(m[2])
			if strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "docker://") || strings.HasPrefix(ref, "sseguard/sseguard@") {
				continue // local, an image, or this action itself (README explains its versions)
			}
			seen++
			if !pinnedRE.MatchString(ref) || !regexp.MustCompile(`^# v[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(comment) {
				t.Errorf("%s: uses: %s %s — pin third-party actions by full commit SHA with a version comment (uses: owner/repo@<sha> # vX.Y.Z)", f, ref, comment)
			}
		}
	}
	if seen < 6 {
		t.Errorf("found only %d third-party actions: the pattern no longer matches the files", seen)
	}
}
