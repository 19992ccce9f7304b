// Package githubtest is a stand-in for the part of GitHub's REST API that sseguard's pull-request
// comment uses, answering as GitHub documents it, for tests (unit and end-to-end):
//
//   - GET /repos/{owner}/{repo}/issues/{number}/comments lists a pull request's comments, oldest
//     first, 30 a page by default and at most 100 (per_page), with a Link header naming the
//     next, last, first and prev pages ("REST API endpoints for issue comments",
//     https://docs.github.com/en/rest/issues/comments; "Using pagination in the REST API",
//     https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api);
//   - POST the same path creates a comment (201, with a Location header), PATCH
//     /repos/{owner}/{repo}/issues/comments/{id} updates one (200); a body over 65,536 characters
//     is refused with 422 "Body is too long (maximum is 65536 characters)";
//   - a token that may only read (a pull request's GITHUB_TOKEN from a fork: "GITHUB_TOKEN
//     reference", https://docs.github.com/en/actions/reference/github_token-reference) gets 403
//     "Resource not accessible by integration" on writes; an unknown token gets 401 "Bad
//     credentials"; a repository or comment it does not know, 404 "Not Found";
//   - GET /user answers an installation token (GITHUB_TOKEN, a GitHub App's) 403 "Resource not
//     accessible by integration" and a personal token its account ("Get the authenticated user",
//     https://docs.github.com/en/rest/users/users#get-the-authenticated-user);
//   - every comment's user, and GET /user's answer, is a simple-user with all its required fields:
//     login and type ("User", or "Bot" for a GitHub App's bot user, login APP-SLUG[bot]) are what
//     tells who wrote a comment;
//   - GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls lists the pull requests associated
//     with a commit as pull-request-simple objects, 30 a page by default and at most 100, with
//     the Link header: for a commit in the default branch, the merged pull requests that
//     introduced it (its merge commit or one of its commits); for any other commit, only the open
//     pull requests holding it ("List pull requests associated with a commit",
//     https://docs.github.com/en/rest/commits/commits#list-pull-requests-associated-with-a-commit:
//     "Lists the merged pull request that introduced the commit to the repository. If the commit
//     is not present in the default branch, will only return open pull requests associated with
//     the commit"); a token without pull-requests read access gets 403.
//
// A token with write access may edit any comment of the repository, as on GitHub ("You must be
// the author or have write access to this repository to edit this comment", GraphQL enum
// CommentCannotEditReason, https://docs.github.com/en/graphql/reference/enums#commentcannoteditreason):
// the tests check that sseguard leaves comments that are not its own alone.
package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Token is what a token may do.
type Token struct {
	// Login and Type ("User" or "Bot") are the account the token writes as.
	Login, Type string
	// Write: the token may create and update comments.
	Write bool
	// Personal: GET /user answers with the account (a personal access token); an installation
	// token gets 403 there.
	Personal bool
	// NoPullRequests: the token may not read pull requests (a job without pull-requests: read).
	NoPullRequests bool
}

// Installation is GITHUB_TOKEN with pull-requests: write.
var Installation = Token{Login: "github-actions[bot]", Type: "Bot", Write: true}

// ReadOnly is GITHUB_TOKEN on a pull request from a fork.
var ReadOnly = Token{Login: "github-actions[bot]", Type: "Bot"}

// Comment is one issue comment the server holds.
type Comment struct {
	ID        int64
	PR        int
	Body      string
	Login     string
	Type      string
	Created   time.Time
	Updated   time.Time
	EditCount int
}

// Request is one request the server answered.
type Request struct {
	Method, Path, Query string
	Status              int
}

// Server is the stand-in. Its zero value is not usable: call Start.
type Server struct {
	// URL is the API's base URL, what GITHUB_API_URL would hold.
	URL         string
	owner, repo string

	mu       sync.Mutex
	tokens   map[string]Token
	comments []*Comment
	pulls    []*PullRequest
	nextID   int64
	clock    time.Time
	requests []Request
}

// Start starts a stand-in for the repository owner/repo, closed when tb ends.
func Start(tb testing.TB, owner, repo string) *Server {
	s := &Server{owner: owner, repo: repo, tokens: map[string]Token{}, nextID: 1000,
		clock: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// AddToken makes token known to the server.
func (s *Server) AddToken(token string, t Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = t
}

// Seed adds a comment by login (of type userType) to pull request pr and returns its id.
func (s *Server) Seed(pr int, login, userType, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(pr, login, userType, body).ID
}

func (s *Server) add(pr int, login, userType, body string) *Comment {
	s.nextID++
	s.clock = s.clock.Add(time.Minute)
	c := &Comment{ID: s.nextID, PR: pr, Body: body, Login: login, Type: userType, Created: s.clock, Updated: s.clock}
	s.comments = append(s.comments, c)
	return c
}

// DefaultBranch is the repository's default branch in the stand-in.
const DefaultBranch = "main"

// PullRequest is one pull request the server holds.
type PullRequest struct {
	Number int
	Title  string
	// Author is the login that opened it.
	Author string
	// HeadRef and BaseRef are the branches; Commits are the head branch's commits (the last is
	// the head), MergeCommit the commit the merge made (empty while open).
	HeadRef, BaseRef string
	Commits          []string
	MergeCommit      string
	// Merged is when it was merged (zero while open); Closed is true for a closed pull request.
	Merged time.Time
	Closed bool
}

// AddPull adds a pull request (Number > 0).
func (s *Server) AddPull(pr PullRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := pr
	s.pulls = append(s.pulls, &c)
}

// Comments returns copies of pull request pr's comments, oldest first.
func (s *Server) Comments(pr int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments {
		if c.PR == pr {
			out = append(out, *c)
		}
	}
	return out
}

// Requests returns the requests answered so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests had method and a path starting with prefix.
func (s *Server) Count(method, prefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

type apiError struct {
	Message          string       `json:"message"`
	Errors           []fieldError `json:"errors,omitempty"`
	DocumentationURL string       `json:"documentation_url,omitempty"`
	Status           string       `json:"status"`
}

type fieldError struct {
	Resource string `json:"resource"`
	Code     string `json:"code"`
	Field    string `json:"field"`
	Message  string `json:"message"`
}

// userJSON is a "simple-user" as GitHub's REST API describes it (components/schemas/simple-user in
// GitHub's OpenAPI description, https://github.com/github/rest-api-description): every required
// field, as the author of a comment (user) and as GET /user's answer (whose private fields the
// stand-in leaves out).
type userJSON struct {
	Login             string  `json:"login"`
	ID                int64   `json:"id"`
	NodeID            string  `json:"node_id"`
	AvatarURL         string  `json:"avatar_url"`
	GravatarID        *string `json:"gravatar_id"`
	URL               string  `json:"url"`
	HTMLURL           string  `json:"html_url"`
	FollowersURL      string  `json:"followers_url"`
	FollowingURL      string  `json:"following_url"`
	GistsURL          string  `json:"gists_url"`
	StarredURL        string  `json:"starred_url"`
	SubscriptionsURL  string  `json:"subscriptions_url"`
	OrganizationsURL  string  `json:"organizations_url"`
	ReposURL          string  `json:"repos_url"`
	EventsURL         string  `json:"events_url"`
	ReceivedEventsURL string  `json:"received_events_url"`
	Type              string  `json:"type"`
	UserViewType      string  `json:"user_view_type"`
	SiteAdmin         bool    `json:"site_admin"`
}

// knownIDs are the ids GitHub gives accounts the tests use by name (github-actions[bot] is user
// 41898282 on github.com).
var knownIDs = map[string]int64{"github-actions[bot]": 41898282}

// user renders an account as GitHub does.
func (s *Server) user(login, typ string) userJSON {
	id, ok := knownIDs[login]
	if !ok {
		id = 1000000 + int64(len(login))*7919 + int64(login[0])
	}
	api := s.URL + "/users/" + url.PathEscape(login)
	empty := ""
	return userJSON{
		Login: login, ID: id, NodeID: "U_" + strconv.FormatInt(id, 36),
		AvatarURL: fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id), GravatarID: &empty,
		URL: api, HTMLURL: "https://github.example/" + url.PathEscape(login),
		FollowersURL: api + "/followers", FollowingURL: api + "/following{/other_user}", GistsURL: api + "/gists{/gist_id}",
		StarredURL: api + "/starred{/owner}{/repo}", SubscriptionsURL: api + "/subscriptions", OrganizationsURL: api + "/orgs",
		ReposURL: api + "/repos", EventsURL: api + "/events{/privacy}", ReceivedEventsURL: api + "/received_events",
		Type: typ, UserViewType: "public",
	}
}

type commentJSON struct {
	ID                int64    `json:"id"`
	NodeID            string   `json:"node_id"`
	URL               string   `json:"url"`
	HTMLURL           string   `json:"html_url"`
	IssueURL          string   `json:"issue_url"`
	Body              string   `json:"body"`
	User              userJSON `json:"user"`
	CreatedAt         string   `json:"created_at"`
	UpdatedAt         string   `json:"updated_at"`
	AuthorAssociation string   `json:"author_association"`
	// PerformedViaGitHubApp is null unless a GitHub App wrote the comment through a user's token.
	PerformedViaGitHubApp *struct{} `json:"performed_via_github_app"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.route(rec, r)
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: rec.status})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

const (
	docsPulls    = "https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit"
	docsComments = "https://docs.github.com/rest/issues/comments"
	docsUser     = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
)

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.auth(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "Bad credentials", "https://docs.github.com/rest", nil)
		return
	}
	if r.Header.Get("Authorization") == "" && (r.Method != http.MethodGet || r.URL.Path == "/user") {
		writeError(w, http.StatusUnauthorized, "Requires authentication", "https://docs.github.com/rest", nil)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/user":
		if !tok.Personal {
			writeError(w, http.StatusForbidden, "Resource not accessible by integration", docsUser, nil)
			return
		}
		writeJSON(w, http.StatusOK, s.user(tok.Login, tok.Type))
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "issues" && parts[5] == "comments":
		if parts[1] != s.owner || parts[2] != s.repo {
			writeError(w, http.StatusNotFound, "Not Found", docsComments, nil)
			return
		}
		pr, err := strconv.Atoi(parts[4])
		if err != nil || pr <= 0 {
			writeError(w, http.StatusNotFound, "Not Found", docsComments, nil)
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.list(w, r, pr)
		case http.MethodPost:
			if !tok.Write {
				writeError(w, http.StatusForbidden, "Resource not accessible by integration", docsComments+"#create-an-issue-comment", nil)
				return
			}
			body, ok := readBody(w, r)
			if !ok {
				return
			}
			c := s.add(pr, tok.Login, tok.Type, body)
			w.Header().Set("Location", s.commentJSON(c).URL)
			writeJSON(w, http.StatusCreated, s.commentJSON(c))
		default:
			writeError(w, http.StatusNotFound, "Not Found", docsComments, nil)
		}
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "commits" && parts[5] == "pulls" && r.Method == http.MethodGet:
		if parts[1] != s.owner || parts[2] != s.repo {
			writeError(w, http.StatusNotFound, "Not Found", docsPulls, nil)
			return
		}
		if tok.NoPullRequests {
			writeError(w, http.StatusForbidden, "Resource not accessible by integration", docsPulls, nil)
			return
		}
		s.pullsOfCommit(w, r, parts[4])
	case len(parts) == 6 && parts[0] == "repos" && parts[3] == "issues" && parts[4] == "comments" && r.Method == http.MethodPatch:
		if parts[1] != s.owner || parts[2] != s.repo {
			writeError(w, http.StatusNotFound, "Not Found", docsComments, nil)
			return
		}
		if !tok.Write {
			writeError(w, http.StatusForbidden, "Resource not accessible by integration", docsComments+"#update-an-issue-comment", nil)
			return
		}
		id, _ := strconv.ParseInt(parts[5], 10, 64)
		var c *Comment
		for _, cm := range s.comments {
			if cm.ID == id {
				c = cm
			}
		}
		if c == nil {
			writeError(w, http.StatusNotFound, "Not Found", docsComments+"#update-an-issue-comment", nil)
			return
		}
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		s.clock = s.clock.Add(time.Minute)
		c.Body, c.Updated = body, s.clock
		c.EditCount++
		writeJSON(w, http.StatusOK, s.commentJSON(c))
	default:
		writeError(w, http.StatusNotFound, "Not Found", "https://docs.github.com/rest", nil)
	}
}

// auth reads "Authorization: Bearer TOKEN" (or "token TOKEN"); no header is an anonymous reader.
func (s *Server) auth(r *http.Request) (Token, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return Token{}, true
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || (!strings.EqualFold(scheme, "bearer") && !strings.EqualFold(scheme, "token")) {
		return Token{}, false
	}
	t, ok := s.tokens[tok]
	return t, ok
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, pr int) {
	var all []*Comment
	for _, c := range s.comments {
		if c.PR == pr {
			all = append(all, c)
		}
	}
	from, to := s.page(w, r, len(all))
	out := []commentJSON{}
	for i := from; i < to; i++ {
		out = append(out, s.commentJSON(all[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

// page reads per_page (30 by default, at most 100) and page, sets the Link header for n items,
// and returns the range of items on the page.
func (s *Server) page(w http.ResponseWriter, r *http.Request, n int) (from, to int) {
	q := r.URL.Query()
	per, page := 30, 1
	if v := q.Get("per_page"); v != "" {
		if k, err := strconv.Atoi(v); err == nil && k > 0 {
			per = min(k, 100)
		}
	}
	if v := q.Get("page"); v != "" {
		if k, err := strconv.Atoi(v); err == nil && k > 0 {
			page = k
		}
	}
	last := max(1, (n+per-1)/per)
	var links []string
	link := func(p int, rel string) {
		u := *r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(per))
		u.RawQuery = v.Encode()
		links = append(links, fmt.Sprintf("<%s%s>; rel=%q", s.URL, u.RequestURI(), rel))
	}
	if page > 1 {
		link(page-1, "prev")
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if page > 1 {
		link(1, "first")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	return min((page-1)*per, n), min(page*per, n)
}

// inDefaultBranch reports whether a commit is in the default branch: a merge commit of a pull
// request merged into it, or one of such a pull request's commits.
func (s *Server) inDefaultBranch(sha string) bool {
	for _, pr := range s.pulls {
		if !pr.Merged.IsZero() && pr.BaseRef == DefaultBranch && (pr.MergeCommit == sha || slices.Contains(pr.Commits, sha)) {
			return true
		}
	}
	return false
}

// pullsOfCommit answers GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls.
func (s *Server) pullsOfCommit(w http.ResponseWriter, r *http.Request, sha string) {
	inDefault := s.inDefaultBranch(sha)
	var found []*PullRequest
	for _, pr := range s.pulls {
		holds := pr.MergeCommit == sha || slices.Contains(pr.Commits, sha)
		switch {
		case !holds:
		case inDefault && !pr.Merged.IsZero() && pr.BaseRef == DefaultBranch:
			found = append(found, pr)
		case !inDefault && pr.Merged.IsZero() && !pr.Closed:
			found = append(found, pr)
		}
	}
	from, to := s.page(w, r, len(found))
	out := []pullJSON{}
	for _, pr := range found[from:to] {
		out = append(out, s.pullJSON(pr))
	}
	writeJSON(w, http.StatusOK, out)
}

// pullJSON is a pull request as the pull-request-simple schema of GitHub's REST API describes it
// (the members the endpoint above answers with; nested repositories carry their main members).
type pullJSON struct {
	URL                string         `json:"url"`
	ID                 int64          `json:"id"`
	NodeID             string         `json:"node_id"`
	HTMLURL            string         `json:"html_url"`
	DiffURL            string         `json:"diff_url"`
	PatchURL           string         `json:"patch_url"`
	IssueURL           string         `json:"issue_url"`
	CommitsURL         string         `json:"commits_url"`
	ReviewCommentsURL  string         `json:"review_comments_url"`
	ReviewCommentURL   string         `json:"review_comment_url"`
	CommentsURL        string         `json:"comments_url"`
	StatusesURL        string         `json:"statuses_url"`
	Number             int            `json:"number"`
	State              string         `json:"state"`
	Locked             bool           `json:"locked"`
	Title              string         `json:"title"`
	User               userJSON       `json:"user"`
	Body               *string        `json:"body"`
	Labels             []any          `json:"labels"`
	Milestone          any            `json:"milestone"`
	ActiveLockReason   *string        `json:"active_lock_reason"`
	CreatedAt          string         `json:"created_at"`
	UpdatedAt          string         `json:"updated_at"`
	ClosedAt           *string        `json:"closed_at"`
	MergedAt           *string        `json:"merged_at"`
	MergeCommitSHA     *string        `json:"merge_commit_sha"`
	Assignee           any            `json:"assignee"`
	Assignees          []any          `json:"assignees"`
	RequestedReviewers []any          `json:"requested_reviewers"`
	RequestedTeams     []any          `json:"requested_teams"`
	Head               branchJSON     `json:"head"`
	Base               branchJSON     `json:"base"`
	Links              map[string]any `json:"_links"`
	AuthorAssociation  string         `json:"author_association"`
	AutoMerge          any            `json:"auto_merge"`
	Draft              bool           `json:"draft"`
}

type branchJSON struct {
	Label string   `json:"label"`
	Ref   string   `json:"ref"`
	Repo  repoJSON `json:"repo"`
	SHA   string   `json:"sha"`
	User  userJSON `json:"user"`
}

type repoJSON struct {
	ID       int64    `json:"id"`
	NodeID   string   `json:"node_id"`
	Name     string   `json:"name"`
	FullName string   `json:"full_name"`
	Owner    userJSON `json:"owner"`
	Private  bool     `json:"private"`
	HTMLURL  string   `json:"html_url"`
	URL      string   `json:"url"`
}

func (s *Server) pullJSON(pr *PullRequest) pullJSON {
	api := fmt.Sprintf("%s/repos/%s/%s", s.URL, s.owner, s.repo)
	html := fmt.Sprintf("https://github.example/%s/%s/pull/%d", url.PathEscape(s.owner), url.PathEscape(s.repo), pr.Number)
	owner := s.user(s.owner, "Organization")
	repo := repoJSON{ID: 7, NodeID: "R_7", Name: s.repo, FullName: s.owner + "/" + s.repo, Owner: owner,
		HTMLURL: "https://github.example/" + s.owner + "/" + s.repo, URL: api}
	head := ""
	if len(pr.Commits) > 0 {
		head = pr.Commits[len(pr.Commits)-1]
	}
	created := s.clock.Add(-time.Hour).Format(time.RFC3339)
	out := pullJSON{
		URL: fmt.Sprintf("%s/pulls/%d", api, pr.Number), ID: int64(100000 + pr.Number), NodeID: "PR_" + strconv.Itoa(pr.Number),
		HTMLURL: html, DiffURL: html + ".diff", PatchURL: html + ".patch", IssueURL: fmt.Sprintf("%s/issues/%d", api, pr.Number),
		CommitsURL: fmt.Sprintf("%s/pulls/%d/commits", api, pr.Number), ReviewCommentsURL: fmt.Sprintf("%s/pulls/%d/comments", api, pr.Number),
		ReviewCommentURL: api + "/pulls/comments{/number}", CommentsURL: fmt.Sprintf("%s/issues/%d/comments", api, pr.Number),
		StatusesURL: api + "/statuses/" + head, Number: pr.Number, State: "open", Title: pr.Title,
		User: s.user(pr.Author, "User"), Labels: []any{}, CreatedAt: created, UpdatedAt: created,
		Assignees: []any{}, RequestedReviewers: []any{}, RequestedTeams: []any{},
		Head:              branchJSON{Label: s.owner + ":" + pr.HeadRef, Ref: pr.HeadRef, Repo: repo, SHA: head, User: owner},
		Base:              branchJSON{Label: s.owner + ":" + pr.BaseRef, Ref: pr.BaseRef, Repo: repo, SHA: strings.Repeat("0", 40), User: owner},
		Links:             map[string]any{"html": map[string]string{"href": html}, "self": map[string]string{"href": fmt.Sprintf("%s/pulls/%d", api, pr.Number)}},
		AuthorAssociation: "CONTRIBUTOR",
	}
	if !pr.Merged.IsZero() || pr.Closed {
		out.State = "closed"
		at := s.clock.Format(time.RFC3339)
		out.ClosedAt = &at
	}
	if !pr.Merged.IsZero() {
		at := pr.Merged.UTC().Format(time.RFC3339)
		out.MergedAt, out.ClosedAt = &at, &at
		mc := pr.MergeCommit
		out.MergeCommitSHA = &mc
	}
	return out
}

func readBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Body *string `json:"body"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docsComments, nil)
		return "", false
	}
	if in.Body == nil || *in.Body == "" {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", docsComments,
			[]fieldError{{Resource: "IssueComment", Code: "missing_field", Field: "body"}})
		return "", false
	}
	if utf8.RuneCountInString(*in.Body) > 65536 {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed", docsComments,
			[]fieldError{{Resource: "IssueComment", Code: "unprocessable", Field: "data", Message: "Body is too long (maximum is 65536 characters)"}})
		return "", false
	}
	return *in.Body, true
}

func (s *Server) commentJSON(c *Comment) commentJSON {
	api := fmt.Sprintf("%s/repos/%s/%s/issues", s.URL, s.owner, s.repo)
	return commentJSON{
		ID: c.ID, NodeID: "IC_" + strconv.FormatInt(c.ID, 36),
		URL:               fmt.Sprintf("%s/comments/%d", api, c.ID),
		HTMLURL:           fmt.Sprintf("https://github.example/%s/%s/pull/%d#issuecomment-%d", url.PathEscape(s.owner), url.PathEscape(s.repo), c.PR, c.ID),
		IssueURL:          fmt.Sprintf("%s/%d", api, c.PR),
		Body:              c.Body,
		User:              s.user(c.Login, c.Type),
		CreatedAt:         c.Created.Format(time.RFC3339),
		UpdatedAt:         c.Updated.Format(time.RFC3339),
		AuthorAssociation: "NONE",
	}
}

func writeError(w http.ResponseWriter, status int, msg, doc string, errs []fieldError) {
	writeJSON(w, status, apiError{Message: msg, Errors: errs, DocumentationURL: doc, Status: strconv.Itoa(status)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
