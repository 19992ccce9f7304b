// Package prcomment keeps the plan of one policy file as one comment on a pull request: found
// again by a hidden marker on its first line and updated in place on every run, created only
// when there is none. It talks to GitHub's REST API (github.com or GitHub Enterprise Server)
// through go-github, and renders the comment with package report's job summary, so that
// everything from AWS or the policy is escaped in one place.
//
// Which comment is "ours": only comments whose first line is the marker count (a reply quoting
// it does not), and among them only one written by the token's own account. The account comes
// from GET /user when the token may read it (personal access tokens); installation tokens
// (GITHUB_TOKEN, GitHub App tokens) are refused that endpoint (403 "Resource not accessible by
// integration"), and then only comments by a bot account (user type "Bot", which only a GitHub
// App installed on the repository can be) count. A marker comment written by a person who is not
// the token's owner is never edited: anyone may comment on a public pull request, and a comment
// stays editable by its author, who could change sseguard's plan after sseguard wrote it.
package prcomment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v75/github"
)

// Issue comments are listed 100 at a time, the most GitHub gives per page ("Using pagination in
// the REST API", https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api),
// and at most maxPages pages are read: past 10,000 comments the search stops and a new comment is
// written.
const (
	perPage  = 100
	maxPages = 100
)

// PullRequest names the pull request to comment on.
type PullRequest struct {
	Owner, Repo string
	Number      int
}

// issuesAPI is the part of go-github's IssuesService used here, with its exact signatures.
type issuesAPI interface {
	ListComments(ctx context.Context, owner, repo string, number int, opts *github.IssueListCommentsOptions) ([]*github.IssueComment, *github.Response, error)
	CreateComment(ctx context.Context, owner, repo string, number int, comment *github.IssueComment) (*github.IssueComment, *github.Response, error)
	EditComment(ctx context.Context, owner, repo string, commentID int64, comment *github.IssueComment) (*github.IssueComment, *github.Response, error)
}

// usersAPI is the part of go-github's UsersService used here.
type usersAPI interface {
	Get(ctx context.Context, user string) (*github.User, *github.Response, error)
}

// Client writes plan comments through GitHub's REST API.
type Client struct {
	issues issuesAPI
	users  usersAPI
	pulls  pullsAPI
}

// New returns a client for the REST API at apiURL (GITHUB_API_URL: https://api.github.com, or
// https://HOST/api/v3 on GitHub Enterprise Server) that authenticates with token. The token is
// sent over https only, or over http to a loopback address (a test's stand-in), and never
// follows a redirect to another host. hc may be nil.
func New(token, apiURL string, hc *http.Client) (*Client, error) {
	base, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
	if err != nil {
		return nil, fmt.Errorf("GitHub API URL %q: %w", apiURL, err)
	}
	if base.Host == "" || (base.Scheme != "https" && !(base.Scheme == "http" && isLoopback(base.Hostname()))) {
		return nil, fmt.Errorf("GitHub API URL %q: want https://HOST[/PATH] (http only to a loopback address)", apiURL)
	}
	if token == "" {
		return nil, errors.New("no GitHub token")
	}
	c := http.Client{}
	if hc != nil {
		c = *hc
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 || req.URL.Scheme != base.Scheme || req.URL.Host != base.Host {
			return http.ErrUseLastResponse
		}
		return nil
	}
	gh := github.NewClient(&c).WithAuthToken(token)
	gh.BaseURL = base
	gh.UserAgent = "sseguard"
	return &Client{issues: gh.Issues, users: gh.Users, pulls: gh.PullRequests}, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// Action is what Upsert did.
type Action string

// What Upsert can do.
const (
	Created Action = "created"
	Updated Action = "updated"
)

// Result is the comment Upsert wrote.
type Result struct {
	Action Action
	ID     int64
	// URL is the comment's address on GitHub (html_url).
	URL string
}

// Error is a request to GitHub that failed.
type Error struct {
	// Op is what was being done: "list the comments", "create the comment", "update comment 12".
	Op string
	// Status is the HTTP status GitHub answered, 0 when there was no answer.
	Status int
	Err    error
}

// Error says what was being done and what GitHub answered.
func (e *Error) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns go-github's error (a *github.ErrorResponse when GitHub answered).
func (e *Error) Unwrap() error { return e.Err }

// Denied reports whether GitHub refused the token: 401, 403 (a read-only token, such as a pull
// request's from a fork, or a job without pull-requests: write) or 404 (a token that may not see
// the repository).
func (e *Error) Denied() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || e.Status == http.StatusNotFound
}

func wrap(op string, resp *github.Response, err error) error {
	e := &Error{Op: op, Err: err}
	if resp != nil && resp.Response != nil {
		e.Status = resp.StatusCode
	}
	return e
}

// Upsert writes the comment for marker on the pull request: it updates the one found (see
// Find), or creates one when there is none. render is given the body of the comment it
// replaces ("" for a new one) and returns the new body.
func (c *Client) Upsert(ctx context.Context, pr PullRequest, marker string, render func(previous string) string) (Result, error) {
	found, err := c.find(ctx, pr, marker)
	if err != nil {
		return Result{}, err
	}
	body := render(found.GetBody())
	if len(body) > MaxBody {
		return Result{}, fmt.Errorf("the comment is %d bytes, over the %d sseguard keeps to (GitHub refuses 65,536 characters)", len(body), MaxBody)
	}
	var (
		out  *github.IssueComment
		resp *github.Response
	)
	if found != nil {
		out, resp, err = c.issues.EditComment(ctx, pr.Owner, pr.Repo, found.GetID(), &github.IssueComment{Body: &body})
		if err != nil {
			return Result{}, wrap(fmt.Sprintf("update comment %d on pull request #%d", found.GetID(), pr.Number), resp, err)
		}
		return Result{Action: Updated, ID: out.GetID(), URL: out.GetHTMLURL()}, nil
	}
	out, resp, err = c.issues.CreateComment(ctx, pr.Owner, pr.Repo, pr.Number, &github.IssueComment{Body: &body})
	if err != nil {
		return Result{}, wrap(fmt.Sprintf("comment on pull request #%d", pr.Number), resp, err)
	}
	return Result{Action: Created, ID: out.GetID(), URL: out.GetHTMLURL()}, nil
}

// find lists the pull request's comments, page by page, and returns the one to update, or nil.
// The token's account is asked for only when some comment carries the marker.
func (c *Client) find(ctx context.Context, pr PullRequest, marker string) (*github.IssueComment, error) {
	candidates, err := c.markerComments(ctx, pr, marker)
	if err != nil || len(candidates) == 0 {
		return nil, err
	}
	return Find(candidates, marker, c.self(ctx)), nil
}

// markerComments lists the pull request's comments, page by page, and returns those whose first
// line is marker, oldest first.
func (c *Client) markerComments(ctx context.Context, pr PullRequest, marker string) ([]*github.IssueComment, error) {
	var candidates []*github.IssueComment
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	for page := 0; page < maxPages; page++ {
		cs, resp, err := c.issues.ListComments(ctx, pr.Owner, pr.Repo, pr.Number, opts)
		if err != nil {
			return nil, wrap(fmt.Sprintf("list the comments of pull request #%d", pr.Number), resp, err)
		}
		for _, cm := range cs {
			if HasMarker(cm.GetBody(), marker) {
				candidates = append(candidates, cm)
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return candidates, nil
}

// self is the login of the token's account, or "" when GitHub does not say (installation tokens
// may not read GET /user: "Get the authenticated user",
// https://docs.github.com/en/rest/users/users#get-the-authenticated-user).
func (c *Client) self(ctx context.Context) string {
	u, _, err := c.users.Get(ctx, "")
	if err != nil {
		return ""
	}
	return u.GetLogin()
}

// Find returns the comment to update among comments (in the order GitHub lists them, oldest
// first), or nil: the first whose first line is marker and whose author is self (compared as
// GitHub compares logins, without case) or, when self is "" (the token's account is unknown),
// the first whose author is a bot. A comment by anyone else is never chosen.
func Find(comments []*github.IssueComment, marker, self string) *github.IssueComment {
	for _, cm := range comments {
		if cm == nil || !HasMarker(cm.GetBody(), marker) || cm.GetID() == 0 {
			continue
		}
		author := cm.GetUser()
		if self != "" {
			if strings.EqualFold(author.GetLogin(), self) {
				return cm
			}
			continue
		}
		if author.GetType() == "Bot" {
			return cm
		}
	}
	return nil
}
