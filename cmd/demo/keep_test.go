package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMain removes the sseguard binary the package's tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if built != "" {
		os.RemoveAll(filepath.Dir(built))
	}
	os.Exit(code)
}

// TestDemoKeep: with --keep the demo leaves the emulator running once it is done and prints how
// to use it; each printed line then works as printed (go run . stands for the built binary, and
// the container's -e variables are given to the binary the image runs), against the state the
// demo's apply left: plan is in sync, init and iam-policy succeed, the AWS CLI sees the buckets,
// and the action plans in sync. Ctrl-C (ctx done) stops the emulator.
func TestDemoKeep(t *testing.T) {
	bin := sseguardBinary(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		code := run(ctx, pw, &stderr, true)
		pw.Close()
		done <- code
	}()

	var note strings.Builder
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		note.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "-e AWS_ENDPOINT_URL -e AWS_REGION") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	text := note.String()
	if !strings.Contains(text, "The emulator keeps running") {
		t.Fatalf("the demo printed no note on how to use the emulator:\n%s\nstderr: %s", text, stderr.String())
	}
	if !strings.Contains(text, "In sync: 3 buckets match the policy.") {
		t.Errorf("the demo's last plan should be in sync before the note:\n%s", text)
	}

	// The environment the note exports.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull}
	for _, m := range regexp.MustCompile(`(?m)^  export (.+)$`).FindAllStringSubmatch(text, -1) {
		env = append(env, strings.Fields(m[1])...)
	}
	endpoint := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "AWS_ENDPOINT_URL="); ok {
			endpoint = v
		}
	}
	if endpoint == "" || len(env) < 9 {
		t.Fatalf("the note exports %v; want the endpoint, region and credentials", env)
	}
	sh := func(line string) (int, string) {
		t.Helper()
		cmd := exec.Command("bash", "-c", line)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	initOut := filepath.Join(t.TempDir(), "sseguard.yaml")
	commands := regexp.MustCompile(`(?m)^  ((?:go run \.|aws) .+)$`).FindAllStringSubmatch(text, -1)
	if len(commands) != 4 {
		t.Fatalf("want 4 commands in the note, found %d:\n%s", len(commands), text)
	}
	for _, m := range commands {
		line := strings.Replace(m[1], "go run .", bin, 1)
		line = strings.Replace(line, "/tmp/sseguard.yaml", initOut, 1)
		code, out := sh(line)
		switch {
		case strings.Contains(line, " plan "):
			if code != 0 || !strings.Contains(out, "In sync: 3 buckets match the policy.") {
				t.Errorf("%s = %d, want 0 and in sync:\n%s", m[1], code, out)
			}
		case strings.Contains(line, " iam-policy "):
			if code != 0 || !json.Valid([]byte(out)) {
				t.Errorf("%s = %d, want 0 and a JSON policy:\n%s", m[1], code, out)
			}
		case strings.Contains(line, " init "):
			written, _ := os.ReadFile(initOut)
			if code != 0 || !strings.Contains(string(written), "- name: media-hls") {
				t.Errorf("%s = %d, want 0 and a policy naming media-hls:\n%s\n%s", m[1], code, out, written)
			}
		default:
			if code != 0 || !strings.Contains(out, "media-masters-eu") {
				t.Errorf("%s = %d, want 0 and the demo's buckets:\n%s", m[1], code, out)
			}
		}
	}

	// The container: the binary the image runs, with the variables docker run gives it.
	docker := regexp.MustCompile(`docker run [^\n]*?-v (\S+):/policy((?:.|\n)*?) sseguard\n`).FindStringSubmatch(text)
	if docker == nil {
		t.Fatalf("no docker run line in the note:\n%s", text)
	}
	action := exec.Command(bin)
	action.Env = append([]string{}, env...)
	summary := filepath.Join(t.TempDir(), "summary.md")
	action.Env = append(action.Env, "GITHUB_STEP_SUMMARY="+summary)
	for _, m := range regexp.MustCompile(`-e (\S+)`).FindAllStringSubmatch(docker[2], -1) {
		if k, v, ok := strings.Cut(m[1], "="); ok {
			action.Env = append(action.Env, k+"="+strings.Replace(v, "/policy", docker[1], 1))
		}
		// -e NAME alone passes the variable through: it is in env already.
	}
	out, err := action.CombinedOutput()
	md, _ := os.ReadFile(summary)
	if err != nil || !strings.Contains(string(md), "In sync") {
		t.Errorf("the action as the container runs it: %v\n%s\nsummary:\n%s", err, out, md)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("demo --keep = %d after Ctrl-C, want 0; stderr: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not stop within 30 s of Ctrl-C")
	}
	if resp, err := http.Get(endpoint); err == nil {
		resp.Body.Close()
		t.Errorf("the emulator at %s still answers after the demo stopped", endpoint)
	}
}
