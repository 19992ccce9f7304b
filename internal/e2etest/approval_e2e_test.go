package e2etest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sseguard/sseguard/internal/approval"
	"github.com/sseguard/sseguard/internal/prcomment"
	"github.com/sseguard/sseguard/internal/testsupport/githubtest"
)

// Apply only what the pull request showed (issue 21 §3), through the built binary run as the
// runner runs the action, against moto behind the strict layer and GitHub's REST API stood in
// for: the pull request's run leaves the plan's fingerprint in its comment; after the merge, a push
// whose fresh plan differs (the file on main asks for more than the pull request showed) applies
// nothing and says what changed; the push of the approved plan applies it. The CLI's
// --approved-plan compares with a kept JSON plan the same way.
func TestE2EApplyOnlyTheApprovedPlan(t *testing.T) {
	e := newE2E(t)
	bucket, alias := e.name("media-approved"), e.alias("approved")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	r := newRunner(e)
	const policy = "sseguard.yaml"
	approvedBody := "version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n"
	changedBody := approvedBody + "    require_tls: true\n"
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(r.ws, policy), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	unchanged := func(when string) {
		t.Helper()
		if alg, _ := encryptionOf(e, e.env, bucket); alg != "AES256" || e.keysTagged(alias) != 0 {
			t.Fatalf("%s: the bucket is %s with %d keys created, want nothing changed", when, alg, e.keysTagged(alias))
		}
	}

	gh := githubtest.Start(t, "acme", "media")
	gh.AddToken("ghs_write", githubtest.Installation)
	env := []string{"GITHUB_API_URL=" + gh.URL, "GITHUB_SERVER_URL=https://github.com", "GITHUB_RUN_ID=4243"}
	in := map[string]string{"policy": policy, "github-token": "ghs_write"}

	// The pull request's run: the plan reviewers approve, in sseguard's comment.
	write(approvedBody)
	if code, out := r.prcRun("pull_request", "refs/pull/7/merge", in, env); code != 0 {
		t.Fatalf("pull_request = %d\n%s", code, out)
	}
	cs := prcComments(gh, policy)
	if len(cs) != 1 {
		t.Fatalf("comments %+v, want sseguard's one", cs)
	}
	if _, ok := prcomment.ReadApproval(cs[0].Body); !ok {
		t.Fatalf("the comment carries no approval line:\n%s", cs[0].Body)
	}
	const mergeSHA = "5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d"
	gh.AddPull(githubtest.PullRequest{Number: prcPR, Author: "dev", HeadRef: "change", BaseRef: "main",
		Commits: []string{"b7e2f4c1a9d3e5f7081a2b3c4d5e6f708192a3b4"}, MergeCommit: mergeSHA, Merged: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	push := append(env, "GITHUB_SHA="+mergeSHA)

	// What lands on main asks for more than the pull request showed. Someone else planted a
	// comment with sseguard's marker approving exactly that: it is never read.
	changedFile := e.policyFile("cli-changed.yaml", changedBody)
	changedJSON := filepath.Join(e.dir, "changed.json")
	if code, out := e.sseguard(nil, "plan", "--policy", changedFile, "--json", changedJSON); code != 0 {
		t.Fatalf("plan --json = %d\n%s", code, out)
	}
	f, err := os.Open(changedJSON)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := approval.FromJSONPlan(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	gh.Seed(prcPR, "mallory", "User", prcomment.Marker(policy)+"\n<!-- sseguard:status:drift -->\n"+prcomment.ApprovalLine(forged)+"\n\nLooks approved to me")
	write(changedBody)
	code, out := r.prcRun("push", "refs/heads/main", in, push)
	if code != 1 || !strings.Contains(out, "refused to apply: the plan differs from the one approved on pull request #7") ||
		!strings.Contains(out, "new since the approved plan: update-bucket-policy/"+bucket) {
		t.Fatalf("push of a plan that differs = %d, want 1 saying what changed\n%s", code, out)
	}
	if s := r.summaryText(); !strings.Contains(s, "refused to apply") || !strings.Contains(s, "new since the approved plan: update-bucket-policy/"+bucket) {
		t.Errorf("the job summary does not say what changed:\n%s", s)
	}
	if o := r.outputs(); o["applied"] != "0" {
		t.Errorf("outputs %v, want applied 0", o)
	}
	unchanged("after the refused push")

	// The CLI, with the JSON plan kept from the approved run, refuses the same way.
	approvedJSON := filepath.Join(e.dir, "approved.json")
	approvedFile := e.policyFile("cli-approved.yaml", approvedBody)
	if code, out := e.sseguard(nil, "plan", "--policy", approvedFile, "--json", approvedJSON); code != 0 {
		t.Fatalf("plan --json = %d\n%s", code, out)
	}
	if code, out := e.sseguard(nil, "apply", "--policy", changedFile, "--approved-plan", approvedJSON); code != 1 ||
		!strings.Contains(out, "refused to apply") || !strings.Contains(out, "new since the approved plan: update-bucket-policy/"+bucket) {
		t.Errorf("apply --approved-plan with another plan = %d, want 1 saying what changed\n%s", code, out)
	}
	unchanged("after the refused CLI apply")

	// The approved plan applies, through the action and then (in sync) the CLI.
	write(approvedBody)
	code, out = r.prcRun("push", "refs/heads/main", in, push)
	if code != 0 || !strings.Contains(out, "The plan is the one approved on pull request #7") {
		t.Fatalf("push of the approved plan = %d, want 0\n%s", code, out)
	}
	if alg, _ := encryptionOf(e, e.env, bucket); alg != "aws:kms" {
		t.Errorf("after the approved push the bucket is %s, want aws:kms", alg)
	}
	if code, out := e.sseguard(nil, "apply", "--policy", approvedFile, "--approved-plan", approvedJSON); code != 0 {
		t.Errorf("apply --approved-plan once in sync = %d, want 0 (nothing to apply)\n%s", code, out)
	}
}
