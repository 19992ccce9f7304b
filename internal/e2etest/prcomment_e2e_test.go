package e2etest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sseguard/sseguard/internal/prcomment"
	"github.com/sseguard/sseguard/internal/testsupport/githubtest"
)

// prcPR is the pull request of prcRun's payload.
const prcPR = 7

// prcRun is runner.run with more of the runner's environment (GITHUB_API_URL, ...) and a payload
// that carries the pull request's number and head commit, as GitHub's pull_request payload does.
func (r *runner) prcRun(event, ref string, inputs map[string]string, extraEnv []string) (int, string) {
	r.e.t.Helper()
	payload := `{"repository":{"default_branch":"main","full_name":"acme/media"}}`
	if strings.HasPrefix(event, "pull_request") {
		payload = `{"action":"synchronize","number":7,"pull_request":{"number":7,"head":{"ref":"change","sha":"b7e2f4c1a9d3e5f7081a2b3c4d5e6f708192a3b4"},"base":{"ref":"main"}},"repository":{"default_branch":"main","full_name":"acme/media"}}`
	}
	return r.runWith(event, ref, inputs, payload, extraEnv)
}

// prcComments are sseguard's comments for policy on the stand-in's pull request.
func prcComments(gh *githubtest.Server, policy string) []githubtest.Comment {
	var out []githubtest.Comment
	for _, c := range gh.Comments(prcPR) {
		if prcomment.HasMarker(c.Body, prcomment.Marker(policy)) {
			out = append(out, c)
		}
	}
	return out
}

// The plan as a pull-request comment, through the built binary run as the runner runs a docker
// action, against moto behind the strict layer and GitHub's REST API stood in for: drift creates
// one comment, the next run updates that same comment, a run after the account is in sync says
// so, and a read-only token gives a warning and leaves the exit code alone.
func TestE2EPRComment(t *testing.T) {
	e := newE2E(t)
	bucket, alias := e.name("media-pr"), e.alias("pr")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	e.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
		`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`)
	r := newRunner(e)
	if err := os.MkdirAll(filepath.Join(r.ws, "infra"), 0o755); err != nil {
		t.Fatal(err)
	}
	const policy = "infra/sseguard.yaml"
	body := "version: 1\nkeys:\n  - alias: " + alias + "\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n"
	if err := os.WriteFile(filepath.Join(r.ws, policy), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}

	gh := githubtest.Start(t, "acme", "media")
	gh.AddToken("ghs_write", githubtest.Installation)
	gh.AddToken("ghs_read", githubtest.ReadOnly)
	// A reviewer's comment, and one by someone else that starts with sseguard's marker: neither
	// is sseguard's to edit.
	gh.Seed(prcPR, "reviewer", "User", "Please check the key policy")
	planted := gh.Seed(prcPR, "mallory", "User", prcomment.Marker(policy)+"\n✅ In sync, merge away")
	env := []string{"GITHUB_API_URL=" + gh.URL, "GITHUB_SERVER_URL=https://github.com", "GITHUB_RUN_ID=4242"}
	in := map[string]string{"policy": policy, "github-token": "ghs_write", "comment-on-pr": "true"}
	const pr, ref = "pull_request", "refs/pull/7/merge"

	code, out := r.prcRun(pr, ref, in, env)
	if code != 0 {
		t.Fatalf("pull_request with drift = %d, want 0\n%s", code, out)
	}
	cs := prcComments(gh, policy)
	if len(cs) != 2 || cs[0].ID != planted || cs[1].Login != "github-actions[bot]" {
		t.Fatalf("after the first run, marker comments %+v: want the planted one and one new by the token's bot", cs)
	}
	ours := cs[1]
	for _, want := range []string{"<!-- sseguard:status:drift -->", "sseguard plan: 3 changes pending", "| " + bucket + " |",
		"set-default-encryption/" + bucket, "#### Changes (3)", "[job summary](https://github.com/acme/media/actions/runs/4242)",
		"Planned for commit b7e2f4c1a9d3."} {
		if !strings.Contains(ours.Body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, ours.Body)
		}
	}
	if !strings.Contains(out, "Pull request #7: created the plan comment for "+policy) {
		t.Errorf("the log does not say where the comment is:\n%s", out)
	}

	// A second push: the same comment, updated; no second one.
	if code, out = r.prcRun(pr, ref, in, env); code != 0 {
		t.Fatalf("second run = %d\n%s", code, out)
	}
	cs = prcComments(gh, policy)
	if len(cs) != 2 || cs[1].ID != ours.ID || cs[1].EditCount != 1 {
		t.Fatalf("after the second run, marker comments %+v: want comment %d updated once", cs, ours.ID)
	}
	if !strings.Contains(out, "Pull request #7: updated the plan comment") {
		t.Errorf("the log does not say the comment was updated:\n%s", out)
	}

	// A token that may not comment (a fork's): a warning, and the exit code a run without
	// comments has — with fail-on-drift too.
	for _, failOnDrift := range []string{"false", "true"} {
		plain := map[string]string{"policy": policy, "comment-on-pr": "false", "fail-on-drift": failOnDrift}
		want, _ := r.prcRun(pr, ref, plain, env)
		ro := map[string]string{"policy": policy, "github-token": "ghs_read", "fail-on-drift": failOnDrift}
		code, out = r.prcRun(pr, ref, ro, env)
		if code != want {
			t.Errorf("read-only token, fail-on-drift %s: exit code %d, want %d as without comments\n%s", failOnDrift, code, want, out)
		}
		if !strings.Contains(out, "::warning::sseguard could not comment on pull request #7: GitHub answered 403") {
			t.Errorf("read-only token: no warning\n%s", out)
		}
	}
	if cs = prcComments(gh, policy); len(cs) != 2 || cs[1].EditCount != 1 {
		t.Errorf("a read-only run changed the comments: %+v", cs)
	}

	// The pull request is merged and the change applied on main: the push reads the approved plan
	// back from the pull request (and writes nothing there); the pull request's next run finds
	// the account in sync.
	const mergeSHA = "9f1e2d3c4b5a69788776655443322110ffeeddcc"
	gh.AddPull(githubtest.PullRequest{Number: prcPR, Author: "dev", HeadRef: "change", BaseRef: "main",
		Commits: []string{"b7e2f4c1a9d3e5f7081a2b3c4d5e6f708192a3b4"}, MergeCommit: mergeSHA, Merged: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)})
	before := len(gh.Requests())
	if code, out = r.prcRun("push", "refs/heads/main", map[string]string{"policy": policy, "github-token": "ghs_write"}, append(env, "GITHUB_SHA="+mergeSHA)); code != 0 ||
		!strings.Contains(out, "The plan is the one approved on pull request #7") {
		t.Fatalf("push to main = %d, want 0 with the approved plan checked\n%s", code, out)
	}
	for _, req := range gh.Requests()[before:] {
		if req.Method != "GET" {
			t.Errorf("the push to main wrote to GitHub: %+v", req)
		}
	}
	if code, out = r.prcRun(pr, ref, in, env); code != 0 {
		t.Fatalf("pull_request after the apply = %d\n%s", code, out)
	}
	cs = prcComments(gh, policy)
	if len(cs) != 2 || cs[1].ID != ours.ID || cs[1].EditCount != 2 {
		t.Fatalf("after the in-sync run, marker comments %+v: want comment %d updated twice", cs, ours.ID)
	}
	for _, want := range []string{"<!-- sseguard:status:in-sync -->", "**✅ Back in sync.**", "In sync: 1 bucket matches the policy."} {
		if !strings.Contains(cs[1].Body, want) {
			t.Errorf("the in-sync comment lacks %q:\n%s", want, cs[1].Body)
		}
	}
	if cs[0].Body != prcomment.Marker(policy)+"\n✅ In sync, merge away" || cs[0].EditCount != 0 {
		t.Errorf("the planted comment was edited: %+v", cs[0])
	}
	if all := gh.Comments(prcPR); len(all) != 3 || all[0].EditCount != 0 {
		t.Errorf("comments on the pull request: %+v, want the reviewer's untouched, the planted one and sseguard's", all)
	}
}

// The comment is sseguard's alone: another app's bot (any GitHub App installed on the repository
// may comment) writes a comment starting with sseguard's marker and claiming the account is in
// sync; a run with the job's GITHUB_TOKEN leaves it alone, writes its own comment as
// github-actions[bot], says in the log which comment it ignored, and does not believe the fake
// "in sync" (no "back in sync" line). With comment-author naming the app's bot (a workflow that
// comments with that app's token), that comment is the one updated.
func TestE2EPRCommentIgnoresOtherBots(t *testing.T) {
	e := newE2E(t)
	bucket, alias := e.name("media-bots"), e.alias("bots")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	r := newRunner(e)
	const policy = "sseguard.yaml"
	if err := os.WriteFile(filepath.Join(r.ws, policy), []byte("version: 1\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-kms\n    kms_key: "+alias+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gh := githubtest.Start(t, "acme", "media")
	gh.AddToken("ghs_job", githubtest.Installation)
	gh.AddToken("ghs_app", githubtest.Token{Login: "deploy-helper[bot]", Type: "Bot", Write: true})
	fake := prcomment.Marker(policy) + "\n<!-- sseguard:status:in-sync -->\n✅ In sync, merge away"
	planted := gh.Seed(prcPR, "deploy-helper[bot]", "Bot", fake)
	env := []string{"GITHUB_API_URL=" + gh.URL, "GITHUB_SERVER_URL=https://github.com", "GITHUB_RUN_ID=4243"}

	code, out := r.prcRun("pull_request", "refs/pull/7/merge", map[string]string{"policy": policy, "github-token": "ghs_job"}, env)
	if code != 0 {
		t.Fatalf("pull_request = %d\n%s", code, out)
	}
	cs := prcComments(gh, policy)
	if len(cs) != 2 || cs[0].ID != planted || cs[0].Body != fake || cs[0].EditCount != 0 {
		t.Fatalf("marker comments %+v: want the other bot's untouched and one of sseguard's", cs)
	}
	if cs[1].Login != "github-actions[bot]" || !strings.Contains(cs[1].Body, "<!-- sseguard:status:drift -->") || strings.Contains(cs[1].Body, "Back in sync") {
		t.Errorf("sseguard's comment %+v: want github-actions[bot]'s, drift, no 'back in sync'", cs[1])
	}
	if want := fmt.Sprintf("left comment %d by deploy-helper[bot] (Bot) alone", planted); !strings.Contains(out, want) {
		t.Errorf("the log does not say which comment was ignored (%q):\n%s", want, out)
	}

	// The workflow that comments with that app's token names its bot: its comment is the one.
	in := map[string]string{"policy": policy, "github-token": "ghs_app", "comment-author": "deploy-helper[bot]"}
	if code, out = r.prcRun("pull_request", "refs/pull/7/merge", in, env); code != 0 {
		t.Fatalf("pull_request with comment-author = %d\n%s", code, out)
	}
	cs = prcComments(gh, policy)
	if len(cs) != 2 || cs[0].ID != planted || cs[0].EditCount != 1 || cs[1].EditCount != 0 {
		t.Errorf("with comment-author deploy-helper[bot], marker comments %+v: want that bot's updated and github-actions[bot]'s left", cs)
	}
	if !strings.Contains(out, fmt.Sprintf("left comment %d by github-actions[bot] (Bot) alone", cs[1].ID)) {
		t.Errorf("the log does not name github-actions[bot]'s comment as ignored:\n%s", out)
	}
}
