package action

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestReleasePublishesTheImageByDigest runs the release workflow's publish steps (the shell they
// hold, as the runner would) in a clone of a repository holding this action.yml: the tag and the
// major tag must move to a release commit whose action.yml runs the image by digest, and nothing
// else may change. A pre-release moves its own tag only.
func TestReleasePublishesTheImageByDigest(t *testing.T) {
	t.Parallel()
	for _, bin := range []string{"bash", "git"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is needed to run the release workflow's steps: %v", bin, err)
		}
	}
	wf := readRelease(t)
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, s := range wf.Jobs["publish"].Steps {
		if s.Run != "" {
			script.WriteString("(\n" + s.Run + "\n)\n")
		}
	}
	meta, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	const image, digest = "ghcr.io/sseguard/sseguard", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

	for _, tc := range []struct {
		tag   string
		moved []string
	}{{"v1.2.3", []string{"v1", "v1.2.3"}}, {"v2.0.0-rc.1", []string{"v2.0.0-rc.1"}}} {
		t.Run(tc.tag, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			remote, work := filepath.Join(dir, "remote.git"), filepath.Join(dir, "work")
			git := func(args ...string) string {
				t.Helper()
				cmd := exec.Command("git", args...)
				cmd.Dir = work
				cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
				}
				return strings.TrimSpace(string(out))
			}
			if err := os.MkdirAll(work, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(work, "action.yml"), meta, 0o644); err != nil {
				t.Fatal(err)
			}
			git("init", "--quiet", "--bare", remote)
			git("init", "--quiet")
			git("add", "action.yml")
			git("-c", "user.name=maintainer", "-c", "user.email=m@example.com", "commit", "--quiet", "-m", "source")
			source := git("rev-parse", "HEAD")
			git("tag", tc.tag)
			git("remote", "add", "origin", remote)
			git("push", "--quiet", "origin", "HEAD:refs/heads/main", "refs/tags/"+tc.tag)

			summary := filepath.Join(dir, "summary.md")
			cmd := exec.Command("bash", "-c", script.String())
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null",
				"TAG="+tc.tag, "IMAGE="+image, "DIGEST="+digest, "GITHUB_SHA="+source, "GITHUB_SERVER_URL=https://github.com",
				"GITHUB_REPOSITORY=sseguard/sseguard", "GITHUB_RUN_ID=1", "GITHUB_STEP_SUMMARY="+summary)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("the publish steps failed: %v\n%s", err, out)
			}

			release := git("rev-parse", "HEAD")
			if parent := git("rev-parse", "HEAD^"); parent != source {
				t.Errorf("the release commit's parent is %s, want the tagged commit %s", parent, source)
			}
			for _, tag := range tc.moved {
				if got := git("ls-remote", "origin", "refs/tags/"+tag); !strings.HasPrefix(got, release) {
					t.Errorf("remote tag %s = %q, want the release commit %s", tag, got, release)
				}
			}
			if got := git("ls-remote", "--tags", "origin"); strings.Count(got, "\n")+1 != len(tc.moved) {
				t.Errorf("remote tags:\n%s\nwant only %v", got, tc.moved)
			}
			if got := git("ls-remote", "origin", "refs/heads/main"); !strings.HasPrefix(got, source) {
				t.Errorf("main moved: %q", got)
			}
			if files := git("diff", "--name-only", source, release); files != "action.yml" {
				t.Errorf("the release commit changes %q, want action.yml only", files)
			}
			released := git("show", release+":action.yml")
			if want := strings.Replace(string(meta), "  image: Dockerfile\n", "  image: docker://"+image+"@"+digest+"\n", 1); released != strings.TrimSpace(want) {
				t.Errorf("the released action.yml:\n%s", released)
			}
			var m struct{ Runs struct{ Using, Image string } }
			if err := yaml.Unmarshal([]byte(released), &m); err != nil || m.Runs.Using != "docker" || m.Runs.Image != "docker://"+image+"@"+digest {
				t.Errorf("the released action.yml runs %+v (%v)", m.Runs, err)
			}
			if s, _ := os.ReadFile(summary); !strings.Contains(string(s), image+"@"+digest) {
				t.Errorf("the job summary does not name the image:\n%s", s)
			}
		})
	}
}

// TestReleaseStampsTheImage: the image job builds with the tag and the commit as the Dockerfile's
// VERSION and COMMIT, and its check of the pushed image (run here with a stand-in docker that
// answers as the image would) fails unless each platform's binary says that version and commit.
func TestReleaseStampsTheImage(t *testing.T) {
	t.Parallel()
	wf := readRelease(t)
	var check string
	built := false
	for _, s := range wf.Jobs["image"].Steps {
		if strings.HasPrefix(s.Uses, "docker/build-push-action@") {
			built = true
			if got := strings.Fields(s.With["build-args"]); strings.Join(got, " ") != "VERSION=${{ github.ref_name }} COMMIT=${{ github.sha }}" {
				t.Errorf("the image is built with build-args %q, want VERSION and COMMIT from the tag", got)
			}
		}
		if s.Name == "Check the pushed image" {
			check = s.Run
		}
	}
	if !built || check == "" {
		t.Fatalf("the image job has no build-push step (%v) or no check of the pushed image", built)
	}
	const sha = "0123456789abcdef0123456789abcdef01234567"
	for name, tc := range map[string]struct {
		says string // what the stand-in image's `version` prints, with PLATFORM replaced
		ok   bool
	}{
		"stamped":          {"sseguard v1.2.3 (commit 0123456789ab, go1.26.8, PLATFORM)", true},
		"not stamped":      {"sseguard devel (go1.26.8, PLATFORM)", false},
		"another version":  {"sseguard v1.2.2 (commit 0123456789ab, go1.26.8, PLATFORM)", false},
		"another commit":   {"sseguard v1.2.3 (commit fedcba987654, go1.26.8, PLATFORM)", false},
		"another platform": {"sseguard v1.2.3 (commit 0123456789ab, go1.26.8, linux/amd64)", false},
		"a longer version": {"sseguard v1.2.3-rc.1 (commit 0123456789ab, go1.26.8, PLATFORM)", false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bin := t.TempDir()
			docker := `#!/usr/bin/env bash
if [[ "$*" == *"imagetools inspect"* ]]; then
  echo '{"manifests":[{"platform":{"os":"linux","architecture":"amd64"}},{"platform":{"os":"linux","architecture":"arm64"}}]}'
  exit 0
fi
if [[ "$1" == run && "$*" == *" version" ]]; then
  platform=$(sed -E 's/.*--platform ([^ ]+).*/\1/' <<< "$*")
  echo "${SAYS//PLATFORM/$platform}"
  exit 0
fi
echo "unexpected docker $*" >&2
exit 3
`
			if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(docker), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", "-c", "set -euo pipefail\n"+check)
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "SAYS="+tc.says, "TAG=v1.2.3", "GITHUB_SHA="+sha,
				"IMAGE=ghcr.io/sseguard/sseguard", "DIGEST=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
			out, err := cmd.CombinedOutput()
			if (err == nil) != tc.ok {
				t.Errorf("the check: %v, want ok %v\n%s", err, tc.ok, out)
			}
			if !tc.ok && !strings.Contains(string(out), "::error::the linux/") {
				t.Errorf("the check fails without saying which image:\n%s", out)
			}
		})
	}
}

// releaseWorkflow is what the tests read of the release workflow: each job's steps.
type releaseWorkflow struct {
	Jobs map[string]struct {
		Steps []struct {
			Name string
			Uses string
			With map[string]string
			Run  string
		}
	}
}

func readRelease(t *testing.T) releaseWorkflow {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf releaseWorkflow
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	return wf
}
