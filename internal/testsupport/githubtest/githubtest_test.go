package githubtest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func do(t *testing.T, method, url, token, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The list answers page by page with the Link header GitHub documents: absolute URLs in angle
// brackets, each with its rel, and no "next" on the last page.
func TestListPagination(t *testing.T) {
	t.Parallel()
	s := Start(t, "acme", "media")
	for range 250 {
		s.Seed(3, "someone", "User", "hi")
	}
	s.Seed(4, "someone", "User", "another pull request")
	base := s.URL + "/repos/acme/media/issues/3/comments"
	tests := map[string]struct {
		query string
		n     int
		link  string
	}{
		"default 30": {"", 30, `<` + base + `?page=2&per_page=30>; rel="next", <` + base + `?page=9&per_page=30>; rel="last"`},
		"100 a page": {"?per_page=100", 100, `<` + base + `?page=2&per_page=100>; rel="next", <` + base + `?page=3&per_page=100>; rel="last"`},
		"capped at 100": {"?per_page=500&page=2", 100, `<` + base + `?page=1&per_page=100>; rel="prev", <` + base +
			`?page=3&per_page=100>; rel="next", <` + base + `?page=3&per_page=100>; rel="last", <` + base + `?page=1&per_page=100>; rel="first"`},
		"last page":    {"?per_page=100&page=3", 50, `<` + base + `?page=2&per_page=100>; rel="prev", <` + base + `?page=1&per_page=100>; rel="first"`},
		"past the end": {"?per_page=100&page=9", 0, `<` + base + `?page=8&per_page=100>; rel="prev", <` + base + `?page=1&per_page=100>; rel="first"`},
	}
	for name, tc := range tests {
		resp, body := do(t, http.MethodGet, base+tc.query, "", "")
		var got []map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v %s", name, resp.StatusCode, err, body)
		}
		if len(got) != tc.n || resp.Header.Get("Link") != tc.link {
			t.Errorf("%s: %d comments, Link %q; want %d, %q", name, len(got), resp.Header.Get("Link"), tc.n, tc.link)
		}
	}
}

func TestWrites(t *testing.T) {
	t.Parallel()
	s := Start(t, "acme", "media")
	s.AddToken("w", Installation)
	s.AddToken("r", ReadOnly)
	comments := s.URL + "/repos/acme/media/issues/3/comments"
	tests := map[string]struct {
		method, url, token, body string
		status                   int
		message                  string
	}{
		"create":             {"POST", comments, "w", `{"body":"hello"}`, 201, ""},
		"read-only create":   {"POST", comments, "r", `{"body":"hello"}`, 403, "Resource not accessible by integration"},
		"anonymous create":   {"POST", comments, "", `{"body":"hello"}`, 401, "Requires authentication"},
		"bad token":          {"GET", comments, "nope", "", 401, "Bad credentials"},
		"empty body":         {"POST", comments, "w", `{"body":""}`, 422, "Validation Failed"},
		"too long":           {"POST", comments, "w", `{"body":"` + strings.Repeat("é", 65537) + `"}`, 422, "Validation Failed"},
		"other repository":   {"GET", s.URL + "/repos/acme/other/issues/3/comments", "w", "", 404, "Not Found"},
		"update missing":     {"PATCH", s.URL + "/repos/acme/media/issues/comments/99", "w", `{"body":"x"}`, 404, "Not Found"},
		"read-only update":   {"PATCH", s.URL + "/repos/acme/media/issues/comments/1001", "r", `{"body":"x"}`, 403, "Resource not accessible by integration"},
		"installation /user": {"GET", s.URL + "/user", "w", "", 403, "Resource not accessible by integration"},
	}
	for name, tc := range tests {
		resp, body := do(t, tc.method, tc.url, tc.token, tc.body)
		var e struct{ Message string }
		json.Unmarshal([]byte(body), &e)
		if resp.StatusCode != tc.status || (tc.message != "" && e.Message != tc.message) {
			t.Errorf("%s: %d %q, want %d %q", name, resp.StatusCode, e.Message, tc.status, tc.message)
		}
	}
	// The comment created above, updated.
	resp, body := do(t, "PATCH", s.URL+"/repos/acme/media/issues/comments/1001", "w", `{"body":"edited"}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"body":"edited"`) || s.Comments(3)[0].EditCount != 1 {
		t.Errorf("update: %d %s", resp.StatusCode, body)
	}
	if n := s.Count("PATCH", "/repos/"); n != 3 {
		t.Errorf("Count(PATCH) = %d, want 3", n)
	}
}

// The pull requests of a commit, as the endpoint's documentation says: for a commit in the
// default branch the merged pull requests that introduced it, else the open ones holding it; every
// member of pull-request-simple that sseguard reads, in the documented shape.
func TestPullsOfCommit(t *testing.T) {
	t.Parallel()
	s := Start(t, "acme", "media")
	s.AddToken("nopulls", Token{Login: "github-actions[bot]", Type: "Bot", NoPullRequests: true})
	merged := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s.AddPull(PullRequest{Number: 7, Title: "Encrypt", Author: "dev", HeadRef: "encrypt", BaseRef: DefaultBranch,
		Commits: []string{"aaaa", "bbbb"}, MergeCommit: "mmmm", Merged: merged})
	s.AddPull(PullRequest{Number: 8, Author: "dev", HeadRef: "later", BaseRef: DefaultBranch, Commits: []string{"bbbb", "cccc"}})
	s.AddPull(PullRequest{Number: 9, Author: "dev", HeadRef: "gone", BaseRef: DefaultBranch, Commits: []string{"cccc"}, Closed: true})
	list := func(sha, token string) (int, []map[string]any) {
		t.Helper()
		resp, body := do(t, http.MethodGet, s.URL+"/repos/acme/media/commits/"+sha+"/pulls", token, "")
		var got []map[string]any
		if resp.StatusCode == 200 {
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, got
	}
	numbers := func(prs []map[string]any) []float64 {
		var out []float64
		for _, p := range prs {
			out = append(out, p["number"].(float64))
		}
		return out
	}
	for sha, want := range map[string][]float64{"mmmm": {7}, "aaaa": {7}, "bbbb": {7}, "cccc": {8}, "dddd": nil} {
		if code, got := list(sha, ""); code != 200 || !slices.Equal(numbers(got), want) {
			t.Errorf("commit %s: %d %v, want %v", sha, code, numbers(got), want)
		}
	}
	_, got := list("mmmm", "")
	p := got[0]
	base, _ := p["base"].(map[string]any)
	head, _ := p["head"].(map[string]any)
	if p["merged_at"] != "2026-03-02T10:00:00Z" || p["merge_commit_sha"] != "mmmm" || p["state"] != "closed" || base["ref"] != DefaultBranch ||
		head["sha"] != "bbbb" || p["html_url"] != "https://github.example/acme/media/pull/7" {
		t.Errorf("pull request %v", p)
	}
	for _, member := range []string{"url", "id", "node_id", "diff_url", "patch_url", "issue_url", "commits_url", "review_comments_url",
		"review_comment_url", "comments_url", "statuses_url", "locked", "title", "user", "body", "labels", "milestone", "active_lock_reason",
		"created_at", "updated_at", "closed_at", "assignee", "assignees", "requested_reviewers", "requested_teams", "_links",
		"author_association", "auto_merge", "draft"} {
		if _, ok := p[member]; !ok {
			t.Errorf("pull request lacks %q", member)
		}
	}
	if _, got := list("cccc", ""); got[0]["merged_at"] != nil || got[0]["state"] != "open" {
		t.Errorf("open pull request %v", got[0])
	}
	if code, _ := list("mmmm", "nopulls"); code != http.StatusForbidden {
		t.Errorf("a token without pull-requests read: %d, want 403", code)
	}
}

// A comment's user is a simple-user with every field GitHub's OpenAPI description requires:
// login and type tell who wrote it (a GitHub App's bot is type Bot, login APP-SLUG[bot]).
func TestCommentUserIsASimpleUser(t *testing.T) {
	t.Parallel()
	s := Start(t, "acme", "media")
	s.Seed(5, "github-actions[bot]", "Bot", "plan")
	s.Seed(5, "octocat", "User", "LGTM")
	_, body := do(t, http.MethodGet, s.URL+"/repos/acme/media/issues/5/comments", "", "")
	var got []struct{ User map[string]any }
	if err := json.Unmarshal([]byte(body), &got); err != nil || len(got) != 2 {
		t.Fatalf("%v %s", err, body)
	}
	required := []string{"login", "id", "node_id", "avatar_url", "gravatar_id", "url", "html_url", "followers_url", "following_url",
		"gists_url", "starred_url", "subscriptions_url", "organizations_url", "repos_url", "events_url", "received_events_url", "type", "site_admin"}
	for _, c := range got {
		for _, f := range required {
			if _, ok := c.User[f]; !ok {
				t.Errorf("user %v lacks %s", c.User["login"], f)
			}
		}
	}
	if got[0].User["login"] != "github-actions[bot]" || got[0].User["type"] != "Bot" || got[0].User["id"] != float64(41898282) {
		t.Errorf("the job's bot is %v", got[0].User)
	}
	if got[1].User["login"] != "octocat" || got[1].User["type"] != "User" {
		t.Errorf("a person is %v", got[1].User)
	}
}
