package prcomment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-github/v75/github"

	"github.com/sseguard/sseguard/internal/testsupport/githubtest"
)

const pr = 7

func newClient(t *testing.T, srv *githubtest.Server, token string) *Client {
	t.Helper()
	c, err := New(token, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func render(body string) func(string) string { return func(string) string { return body } }

func TestUpsertCreatesThenUpdates(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t, "acme", "media")
	srv.AddToken("ghs_write", githubtest.Installation)
	c := newClient(t, srv, "ghs_write")
	m := Marker("sseguard.yaml")
	ctx := context.Background()
	target := PullRequest{Owner: "acme", Repo: "media", Number: pr}

	first, err := c.Upsert(ctx, target, m, "", render(m+"\nfirst"))
	if err != nil {
		t.Fatal(err)
	}
	if first.Action != Created || first.ID == 0 || !strings.Contains(first.URL, fmt.Sprintf("#issuecomment-%d", first.ID)) {
		t.Fatalf("first Upsert = %+v, want a created comment", first)
	}
	var seen string
	second, err := c.Upsert(ctx, target, m, "", func(prev string) string { seen = prev; return m + "\nsecond" })
	if err != nil {
		t.Fatal(err)
	}
	if second.Action != Updated || second.ID != first.ID {
		t.Fatalf("second Upsert = %+v, want comment %d updated", second, first.ID)
	}
	if seen != m+"\nfirst" {
		t.Errorf("render was given %q, want the comment it replaces", seen)
	}
	got := srv.Comments(pr)
	if len(got) != 1 || got[0].Body != m+"\nsecond" || got[0].EditCount != 1 {
		t.Errorf("comments = %+v, want one, updated once to the second body", got)
	}
	// Another policy file gets a comment of its own.
	other, err := c.Upsert(ctx, target, Marker("other.yaml"), "", render(Marker("other.yaml")+"\nx"))
	if err != nil || other.Action != Created || other.ID == first.ID {
		t.Errorf("other policy: %+v, %v, want a second comment", other, err)
	}
}

// The marker comment is on the second page: Upsert follows the Link header's next page to it,
// 100 comments a page.
func TestUpsertFindsTheCommentPastTheFirstPage(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t, "acme", "media")
	srv.AddToken("ghs_write", githubtest.Installation)
	m := Marker("sseguard.yaml")
	for i := range 130 {
		srv.Seed(pr, fmt.Sprintf("user%d", i), "User", "LGTM")
	}
	ours := srv.Seed(pr, "github-actions[bot]", "Bot", m+"\nold plan")
	for range 80 {
		srv.Seed(pr, "reviewer", "User", "another comment")
	}
	res, err := newClient(t, srv, "ghs_write").Upsert(context.Background(), PullRequest{"acme", "media", pr}, m, "", render(m+"\nnew plan"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != Updated || res.ID != ours {
		t.Fatalf("Upsert = %+v, want comment %d updated", res, ours)
	}
	var pages []string
	for _, r := range srv.Requests() {
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/comments") {
			pages = append(pages, r.Query)
		}
	}
	if want := []string{"per_page=100", "page=2&per_page=100", "page=3&per_page=100"}; fmt.Sprint(pages) != fmt.Sprint(want) {
		t.Errorf("list requests %q, want %q", pages, want)
	}
	if n := srv.Count(http.MethodGet, "/user"); n != 1 {
		t.Errorf("GET /user %d times, want once (only when a marker comment exists)", n)
	}
}

// Comments that are not sseguard's own are never edited: a person's comment that starts with the
// marker (anyone can comment on a public pull request and edit their comment later), a bot
// comment when the token's account is known to be someone else, a reply quoting the marker.
func TestUpsertLeavesOtherPeoplesCommentsAlone(t *testing.T) {
	t.Parallel()
	m := Marker("sseguard.yaml")
	tests := map[string]struct {
		token githubtest.Token
		seed  []githubtest.Comment // Login, Type, Body
		want  int                  // index in seed of the comment to update, -1 for a new one
	}{
		"installation token: a person's marker comment": {
			token: githubtest.Installation,
			seed:  []githubtest.Comment{{Login: "mallory", Type: "User", Body: m + "\nIn sync, merge away"}},
			want:  -1,
		},
		"installation token: a bot's marker comment after a person's": {
			token: githubtest.Installation,
			seed: []githubtest.Comment{{Login: "mallory", Type: "User", Body: m + "\nfake"},
				{Login: "github-actions[bot]", Type: "Bot", Body: m + "\nplan"}},
			want: 1,
		},
		// Another app's bot (any GitHub App installed on the repository can comment) is not the
		// job's GITHUB_TOKEN.
		"installation token: another bot's marker comment": {
			token: githubtest.Installation,
			seed: []githubtest.Comment{{Login: "renovate[bot]", Type: "Bot", Body: m + "\nIn sync, merge away"},
				{Login: "github-actions[bot]", Type: "Bot", Body: m + "\nplan"}},
			want: 1,
		},
		"installation token: only another bot's": {
			token: githubtest.Installation,
			seed:  []githubtest.Comment{{Login: "dependabot[bot]", Type: "Bot", Body: m + "\nIn sync"}},
			want:  -1,
		},
		"installation token: a quote of the marker": {
			token: githubtest.Installation,
			seed:  []githubtest.Comment{{Login: "github-actions[bot]", Type: "Bot", Body: "> " + m + "\n"}},
			want:  -1,
		},
		"personal token: its own comment, not the bot's": {
			token: githubtest.Token{Login: "Alice", Type: "User", Write: true, Personal: true},
			seed: []githubtest.Comment{{Login: "github-actions[bot]", Type: "Bot", Body: m + "\nbot's"},
				{Login: "alice", Type: "User", Body: m + "\nalice's"}},
			want: 1,
		},
		"personal token: someone else's only": {
			token: githubtest.Token{Login: "alice", Type: "User", Write: true, Personal: true},
			seed:  []githubtest.Comment{{Login: "bob", Type: "User", Body: m + "\nbob's"}},
			want:  -1,
		},
		"oldest of two": {
			token: githubtest.Installation,
			seed: []githubtest.Comment{{Login: "github-actions[bot]", Type: "Bot", Body: m + "\none"},
				{Login: "github-actions[bot]", Type: "Bot", Body: m + "\ntwo"}},
			want: 0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t, "acme", "media")
			srv.AddToken("tok", tc.token)
			var ids []int64
			for _, s := range tc.seed {
				ids = append(ids, srv.Seed(pr, s.Login, s.Type, s.Body))
			}
			res, err := newClient(t, srv, "tok").Upsert(context.Background(), PullRequest{"acme", "media", pr}, m, "", render(m+"\nnew"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.want < 0 {
				if res.Action != Created {
					t.Errorf("Upsert = %+v, want a new comment", res)
				}
			} else if res.Action != Updated || res.ID != ids[tc.want] {
				t.Errorf("Upsert = %+v, want comment %d updated", res, ids[tc.want])
			}
			for i, c := range srv.Comments(pr)[:len(tc.seed)] {
				if i != tc.want && c.Body != tc.seed[i].Body {
					t.Errorf("comment %d by %s was changed to %q", c.ID, c.Login, c.Body)
				}
			}
		})
	}
}

func TestUpsertRefused(t *testing.T) {
	t.Parallel()
	m := Marker("sseguard.yaml")
	tests := map[string]struct {
		token, repo string
		seed        bool
		status      int
		op          string
	}{
		"read-only token creating":          {token: "ghs_read", repo: "media", status: 403, op: "comment on pull request #7"},
		"read-only token updating":          {token: "ghs_read", repo: "media", seed: true, status: 403, op: "update comment"},
		"a repository the token cannot see": {token: "ghs_write", repo: "secret", status: 404, op: "list the comments"},
		"bad credentials":                   {token: "expired", repo: "media", status: 401, op: "list the comments"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := githubtest.Start(t, "acme", "media")
			srv.AddToken("ghs_write", githubtest.Installation)
			srv.AddToken("ghs_read", githubtest.ReadOnly)
			if tc.seed {
				srv.Seed(pr, "github-actions[bot]", "Bot", m+"\nold")
			}
			before := srv.Comments(pr)
			_, err := newClient(t, srv, tc.token).Upsert(context.Background(), PullRequest{"acme", tc.repo, pr}, m, "", render(m+"\nnew"))
			var e *Error
			if !errors.As(err, &e) || e.Status != tc.status || !e.Denied() || !strings.HasPrefix(e.Op, tc.op) {
				t.Fatalf("Upsert error = %#v (%v), want a denied %d while %q", e, err, tc.status, tc.op)
			}
			var ge *github.ErrorResponse
			if !errors.As(err, &ge) {
				t.Errorf("the error does not carry GitHub's answer: %v", err)
			}
			if after := srv.Comments(pr); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("comments changed: %+v → %+v", before, after)
			}
		})
	}
}

func TestUpsertRefusesABodyOverTheLimit(t *testing.T) {
	t.Parallel()
	srv := githubtest.Start(t, "acme", "media")
	srv.AddToken("ghs_write", githubtest.Installation)
	m := Marker("p")
	_, err := newClient(t, srv, "ghs_write").Upsert(context.Background(), PullRequest{"acme", "media", pr}, m, "",
		render(m+"\n"+strings.Repeat("x", MaxBody)))
	if err == nil || !strings.Contains(err.Error(), "over the") {
		t.Errorf("Upsert of a body over MaxBody: %v, want an error", err)
	}
	if n := srv.Count(http.MethodPost, "/repos"); n != 0 {
		t.Errorf("%d comments posted", n)
	}
}

func TestFindOwn(t *testing.T) {
	t.Parallel()
	m := Marker("p.yaml")
	c := func(id int64, login, typ, body string) *github.IssueComment {
		return &github.IssueComment{ID: &id, Body: &body, User: &github.User{Login: &login, Type: &typ}}
	}
	bot := c(1, "github-actions[bot]", "Bot", m+"\nx")
	app := c(2, "sseguard-app[bot]", "Bot", m+"\nx")
	person := c(3, "mallory", "User", m+"\nx")
	alice := c(4, "alice", "User", m+"\nx")
	unmarked := c(5, "github-actions[bot]", "Bot", "hello")
	noID := &github.IssueComment{Body: github.Ptr(m), User: &github.User{Login: github.Ptr("github-actions[bot]"), Type: github.Ptr("Bot")}}
	// A user cannot have "[" in a login; a comment claiming a bot's login with type User is not
	// the bot's.
	fakeBot := c(6, "github-actions[bot]", "User", m+"\nx")
	bot2 := c(7, "github-actions[bot]", "Bot", m+"\ny")
	tests := map[string]struct {
		comments []*github.IssueComment
		author   string
		want     *github.IssueComment
		ignored  []int64
	}{
		"none":                             {nil, DefaultAuthor, nil, nil},
		"the job's bot, not another app's": {[]*github.IssueComment{person, unmarked, app, bot}, DefaultAuthor, bot, []int64{3, 2}},
		"no comment of the author":         {[]*github.IssueComment{person, alice}, DefaultAuthor, nil, []int64{3, 4}},
		"a person, any case":               {[]*github.IssueComment{bot, person, alice}, "ALICE", alice, []int64{1, 3}},
		"an app's bot named":               {[]*github.IssueComment{bot, app}, "sseguard-app[bot]", app, []int64{1}},
		"a bot login that is no bot":       {[]*github.IssueComment{fakeBot, bot}, DefaultAuthor, bot, []int64{6}},
		"the oldest of the author's":       {[]*github.IssueComment{bot, bot2}, DefaultAuthor, bot, nil},
		"nil and id-less entries":          {[]*github.IssueComment{nil, noID, bot}, DefaultAuthor, bot, []int64{0}},
		"unmarked comment by the author":   {[]*github.IssueComment{unmarked}, DefaultAuthor, nil, nil},
		"no author: nobody's":              {[]*github.IssueComment{bot}, "", nil, []int64{1}},
	}
	for name, tc := range tests {
		got, ignored := FindOwn(tc.comments, m, tc.author)
		if got != tc.want {
			t.Errorf("%s: FindOwn = %v, want %v", name, got.GetID(), tc.want.GetID())
		}
		var ids []int64
		for _, i := range ignored {
			ids = append(ids, i.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(tc.ignored) {
			t.Errorf("%s: ignored %v, want %v", name, ids, tc.ignored)
		}
	}
}

func TestNewRefusesUnsafeAPIURLs(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		url, token string
		ok         bool
	}{
		"github.com":         {"https://api.github.com", "t", true},
		"enterprise server":  {"https://ghe.example.com/api/v3/", "t", true},
		"loopback over http": {"http://127.0.0.1:8080", "t", true},
		"plain http":         {"http://api.example.com", "t", false},
		"no scheme":          {"api.github.com", "t", false},
		"file":               {"file:///etc/passwd", "t", false},
		"no token":           {"https://api.github.com", "", false},
	}
	for name, tc := range tests {
		_, err := New(tc.token, tc.url, nil)
		if (err == nil) != tc.ok {
			t.Errorf("%s: New(%q) error %v, want ok=%v", name, tc.url, err, tc.ok)
		}
	}
}

// A redirect to another host is not followed: the token would go along with it.
func TestTokenDoesNotFollowRedirectsElsewhere(t *testing.T) {
	t.Parallel()
	var leaked atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.Write([]byte("[]"))
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(elsewhere.URL, "127.0.0.1", "localhost", 1)+r.URL.RequestURI(), http.StatusMovedPermanently)
	}))
	defer api.Close()
	c, err := New("secret-token", api.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := Marker("p")
	_, err = c.Upsert(context.Background(), PullRequest{"acme", "media", pr}, m, "", render(m))
	if err == nil {
		t.Error("Upsert succeeded through a redirect to another host")
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("the token was sent to another host %d times", n)
	}
}
