package action

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/prcomment"
	"github.com/sseguard/sseguard/internal/testsupport/githubtest"
	"github.com/sseguard/sseguard/internal/version"
)

// The pull request of testdata/events/pull_request.json.
const (
	eventPR   = 43
	eventRepo = "media-infra"
)

// commentRunner is a pull request's step with a token and GitHub's API at a stand-in.
func commentRunner(t *testing.T, srv *githubtest.Server, event, token string) *runner {
	t.Helper()
	var r *runner
	if event == "pull_request_target" {
		// The same payload; the run is on the base branch, with the base's workflow.
		r = newRunner(t, "pull_request")
		r.env["GITHUB_EVENT_NAME"], r.env["GITHUB_REF"] = event, "refs/heads/main"
	} else {
		r = newRunner(t, event)
	}
	r.env["INPUT_GITHUB-TOKEN"] = token
	r.env["GITHUB_API_URL"] = srv.URL
	r.env["GITHUB_SERVER_URL"] = "https://github.com"
	r.env["GITHUB_RUN_ID"] = "987654"
	return r
}

func startGitHub(t *testing.T) *githubtest.Server {
	t.Helper()
	srv := githubtest.Start(t, "example-org", eventRepo)
	srv.AddToken("ghs_write", githubtest.Installation)
	srv.AddToken("ghs_read", githubtest.ReadOnly)
	return srv
}

func sseguardComments(srv *githubtest.Server) []githubtest.Comment {
	var out []githubtest.Comment
	for _, c := range srv.Comments(eventPR) {
		if prcomment.HasMarker(c.Body, prcomment.Marker("infra/sseguard.yaml")) {
			out = append(out, c)
		}
	}
	return out
}

func TestRunCommentsOnThePullRequest(t *testing.T) {
	t.Parallel()
	srv := startGitHub(t)
	srv.Seed(eventPR, "reviewer", "User", "Looks fine to me")

	r := commentRunner(t, srv, "pull_request", "ghs_write")
	if code := r.run(t, &fakePipeline{plan: driftPlan()}); code != ExitOK {
		t.Fatalf("exit code %d\n%s", code, r.out.String())
	}
	cs := sseguardComments(srv)
	if len(cs) != 1 {
		t.Fatalf("%d sseguard comments after the first run, want 1", len(cs))
	}
	for _, want := range []string{"🟠 sseguard plan: 2 changes pending", "| media-hls | 9 |", "#### Changes (2)",
		"[job summary](https://github.com/example-org/media-infra/actions/runs/987654)", "Planned for commit b7e2f4c1a9d3.",
		// The running build's version: the test compares with it, never with a fixed one.
		"Made by sseguard " + version.Get().Short() + "."} {
		if !strings.Contains(cs[0].Body, want) {
			t.Errorf("comment lacks %q:\n%s", want, cs[0].Body)
		}
	}
	if !strings.Contains(r.out.String(), "Pull request #43: created the plan comment for infra/sseguard.yaml: https://") {
		t.Errorf("the log does not say where the comment is:\n%s", r.out.String())
	}
	if !strings.Contains(r.out.String(), "::add-mask::ghs_write\n") {
		t.Errorf("the token is not masked:\n%s", r.out.String())
	}

	r = commentRunner(t, srv, "pull_request_target", "ghs_write")
	if code := r.run(t, &fakePipeline{plan: inSyncPlan()}); code != ExitOK {
		t.Fatalf("exit code %d\n%s", code, r.out.String())
	}
	after := sseguardComments(srv)
	if len(after) != 1 || after[0].ID != cs[0].ID || after[0].EditCount != 1 {
		t.Fatalf("after the second run: %+v, want comment %d updated once", after, cs[0].ID)
	}
	if !strings.Contains(after[0].Body, "**✅ Back in sync.**") || !strings.Contains(after[0].Body, "In sync: 1 bucket matches the policy.") {
		t.Errorf("the comment does not say the account is back in sync:\n%s", after[0].Body)
	}
	if len(srv.Comments(eventPR)) != 2 || srv.Comments(eventPR)[0].EditCount != 0 {
		t.Errorf("the reviewer's comment was touched: %+v", srv.Comments(eventPR))
	}
}

// A token that may not comment is a warning: the exit code is what it would be without comments.
func TestRunCommentRefusedIsAWarning(t *testing.T) {
	t.Parallel()
	for _, failOnDrift := range []string{"false", "true"} {
		t.Run("fail-on-drift="+failOnDrift, func(t *testing.T) {
			t.Parallel()
			srv := startGitHub(t)
			plain := newRunner(t, "pull_request")
			plain.env["INPUT_FAIL-ON-DRIFT"] = failOnDrift
			want := plain.run(t, &fakePipeline{plan: driftPlan()})

			r := commentRunner(t, srv, "pull_request", "ghs_read")
			r.env["INPUT_FAIL-ON-DRIFT"] = failOnDrift
			if code := r.run(t, &fakePipeline{plan: driftPlan()}); code != want {
				t.Errorf("exit code %d, want %d as without a comment\n%s", code, want, r.out.String())
			}
			if !strings.Contains(r.out.String(), "::warning::sseguard could not comment on pull request #43: GitHub answered 403") {
				t.Errorf("no warning:\n%s", r.out.String())
			}
			if len(srv.Comments(eventPR)) != 0 {
				t.Errorf("comments: %+v", srv.Comments(eventPR))
			}
		})
	}
}

func TestRunCommentWarnings(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		env  map[string]string
		want string
	}{
		"API unreachable":        {map[string]string{"GITHUB_API_URL": "http://127.0.0.1:1"}, "::warning::sseguard could not comment on pull request #43: list the comments of pull request #43: "},
		"API over plain http":    {map[string]string{"GITHUB_API_URL": "http://api.example.com"}, "::warning::no comment on pull request #43: GitHub API URL"},
		"no repository":          {map[string]string{"GITHUB_REPOSITORY": ""}, "::warning::no comment on the pull request: "},
		"repository of the fork": {map[string]string{"GITHUB_REPOSITORY": "example-org/other"}, "GitHub answered 404"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startGitHub(t)
			r := commentRunner(t, srv, "pull_request", "ghs_write")
			for k, v := range tc.env {
				r.env[k] = v
			}
			if code := r.run(t, &fakePipeline{plan: driftPlan()}); code != ExitOK {
				t.Errorf("exit code %d, want %d\n%s", code, ExitOK, r.out.String())
			}
			if !strings.Contains(r.out.String(), tc.want) {
				t.Errorf("stdout lacks %q:\n%s", tc.want, r.out.String())
			}
		})
	}
}

// No request reaches GitHub when commenting is off, there is no token, or the event is not a
// pull request's.
func TestRunDoesNotComment(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		event string
		env   map[string]string
	}{
		"comment-on-pr false": {"pull_request", map[string]string{"INPUT_COMMENT-ON-PR": "false"}},
		"no token":            {"pull_request", map[string]string{"INPUT_GITHUB-TOKEN": ""}},
		"push":                {"push", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startGitHub(t)
			r := commentRunner(t, srv, tc.event, "ghs_write")
			for k, v := range tc.env {
				r.env[k] = v
			}
			if code := r.run(t, &fakePipeline{plan: driftPlan()}); code != ExitOK {
				t.Errorf("exit code %d\n%s", code, r.out.String())
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d requests to GitHub: %+v", n, srv.Requests())
			}
			if strings.Contains(r.out.String(), "::warning::") {
				t.Errorf("a warning:\n%s", r.out.String())
			}
		})
	}
}

// A run without a plan replaces the plan comment with what went wrong, so that an earlier plan
// does not stand as this commit's.
func TestRunCommentsFailures(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		fake *fakePipeline
		want string
	}{
		"invalid policy": {&fakePipeline{err: policy.Errors{{Line: 3, Column: 1, Message: "version must be 1"}, {Line: 4, Message: "x"}}},
			"### ❌ sseguard plan: the policy does not validate (2 problems): see the annotations on its lines"},
		"pipeline error": {&fakePipeline{err: errors.New("observe: no credentials")}, "### ❌ sseguard plan: stopped before it had a plan"},
		"partial plan":   {&fakePipeline{plan: driftPlan(), err: errors.New("observe: throttled")}, "### ❌ sseguard plan: stopped before the plan was complete"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startGitHub(t)
			r := commentRunner(t, srv, "pull_request", "ghs_write")
			r.run(t, &fakePipeline{plan: driftPlan()})
			r = commentRunner(t, srv, "pull_request", "ghs_write")
			if code := r.run(t, tc.fake); code != ExitFailure {
				t.Errorf("exit code %d, want %d", code, ExitFailure)
			}
			cs := sseguardComments(srv)
			if len(cs) != 1 || !strings.Contains(cs[0].Body, tc.want) || strings.Contains(cs[0].Body, "#### Changes") {
				t.Errorf("comments %+v, want one saying %q", cs, tc.want)
			}
		})
	}
}

func TestRunCommentIsRedacted(t *testing.T) {
	t.Parallel()
	const acct = "123456789012"
	srv := startGitHub(t)
	r := commentRunner(t, srv, "pull_request", "ghs_write")
	r.env["INPUT_REDACT-ACCOUNT-ID"] = "true"
	pl := driftPlan()
	pl.Changes[0].After = "key policy grants arn:aws:iam::" + acct + ":role/KeyAdmin"
	r.run(t, &fakePipeline{plan: pl})
	cs := sseguardComments(srv)
	if len(cs) != 1 || strings.Contains(cs[0].Body, acct) || !strings.Contains(cs[0].Body, "account REDACTED") {
		t.Errorf("comments: %+v", cs)
	}
}

func TestReadCommentInputs(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "pull_request")
	r.env["INPUT_COMMENT-ON-PR"] = "sometimes"
	if code := r.run(t, &fakePipeline{plan: driftPlan()}); code != ExitFailure ||
		!strings.Contains(r.out.String(), `::error::sseguard invalid inputs: input comment-on-pr is "sometimes": it must be true or false`) {
		t.Errorf("exit code %d\n%s", code, r.out.String())
	}
}

func TestPullRequestNumber(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		event map[string]any
		want  int
	}{
		"pull_request":      {map[string]any{"number": 7.0, "pull_request": map[string]any{"number": 7.0}}, 7},
		"only pull_request": {map[string]any{"pull_request": map[string]any{"number": 12.0}}, 12},
		"only top level":    {map[string]any{"number": 5.0}, 5},
		"none":              {map[string]any{}, 0},
		"negative":          {map[string]any{"number": -1.0}, 0},
		"fraction":          {map[string]any{"number": 1.5}, 0},
		"string":            {map[string]any{"number": "7"}, 0},
		"huge":              {map[string]any{"number": 1e20}, 0},
	}
	for name, tc := range tests {
		if got := pullRequestNumber(tc.event); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
}

// The run's API traffic is what the comment needs: the listing and one write.
func TestRunCommentRequests(t *testing.T) {
	t.Parallel()
	srv := startGitHub(t)
	r := commentRunner(t, srv, "pull_request", "ghs_write")
	r.run(t, &fakePipeline{plan: driftPlan()})
	var got []string
	for _, q := range srv.Requests() {
		got = append(got, q.Method+" "+q.Path)
	}
	want := []string{http.MethodGet + " /repos/example-org/media-infra/issues/43/comments", http.MethodPost + " /repos/example-org/media-infra/issues/43/comments"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
