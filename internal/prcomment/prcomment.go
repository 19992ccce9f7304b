// Package prcomment keeps the plan of one policy file as one comment on a pull request: found
// again by a hidden marker on its first line and updated in place on every run, created only
// when there is none. It talks to GitHub's REST API (github.com or GitHub Enterprise Server)
// through go-github, and renders the comment with package report's job summary, so that
// everything from AWS or the policy is escaped in one place.
//
// Which comment is "ours": only comments whose first line is the marker count (a reply quoting
// it does not), and among them only those written by the identity the token acts as (FindOwn):
// github-actions[bot] for a job's GITHUB_TOKEN (DefaultAuthor), the account GET /user names for a
// token that may read it (a personal access token), or the login the workflow names (the
// comment-author input, for a GitHub App's token: APP-SLUG[bot]). Anyone may comment on a public
// pull request, other apps' bots included, and a comment stays editable by its author, who could
// change sseguard's plan after sseguard wrote it: a marker comment by anyone else is never edited
// nor believed (the "back in sync" line reads the previous state from sseguard's own comment
// alone), and the caller is told which were left alone.
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
	// Author is the login whose comment was looked for (see Found).
	Author string
	// Ignored are the comments that carry the marker but were not written by Author: left alone.
	Ignored []Ignored
}

// DefaultAuthor is the account GitHub shows as the author of what a job's GITHUB_TOKEN writes
// ("GITHUB_TOKEN reference", https://docs.github.com/en/actions/reference/github_token-reference:
// the token is an installation token of the GitHub Actions app, whose bot user is
// github-actions[bot]).
const DefaultAuthor = "github-actions[bot]"

// Ignored is a comment that carries the marker but was not written by the author looked for.
type Ignored struct {
	ID int64
	// Login and Type are the comment's user.login and user.type, as GitHub gives them.
	Login, Type string
}

// Found is what Find learnt of a pull request's comments for one marker.
type Found struct {
	// Comment is the author's comment for the marker (the first, oldest), or nil.
	Comment *github.IssueComment
	// Author is the login looked for.
	Author string
	// Ignored are the other comments that carry the marker.
	Ignored []Ignored
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

// Upsert writes the comment for marker on the pull request: it updates the one Find finds, or
// creates one when there is none. author is the login the token writes as ("" asks GitHub: see
// Author). render is given the body of the comment it replaces ("" for a new one) and returns the
// new body.
func (c *Client) Upsert(ctx context.Context, pr PullRequest, marker, author string, render func(previous string) string) (Result, error) {
	found, err := c.Find(ctx, pr, marker, author)
	if err != nil {
		return Result{}, err
	}
	res := Result{Author: found.Author, Ignored: found.Ignored}
	body := render(found.Comment.GetBody())
	if len(body) > MaxBody {
		return res, fmt.Errorf("the comment is %d bytes, over the %d sseguard keeps to (GitHub refuses 65,536 characters)", len(body), MaxBody)
	}
	var (
		out  *github.IssueComment
		resp *github.Response
	)
	if found.Comment != nil {
		out, resp, err = c.issues.EditComment(ctx, pr.Owner, pr.Repo, found.Comment.GetID(), &github.IssueComment{Body: &body})
		if err != nil {
			return res, wrap(fmt.Sprintf("update comment %d on pull request #%d", found.Comment.GetID(), pr.Number), resp, err)
		}
		res.Action, res.ID, res.URL = Updated, out.GetID(), out.GetHTMLURL()
		return res, nil
	}
	out, resp, err = c.issues.CreateComment(ctx, pr.Owner, pr.Repo, pr.Number, &github.IssueComment{Body: &body})
	if err != nil {
		return res, wrap(fmt.Sprintf("comment on pull request #%d", pr.Number), resp, err)
	}
	res.Action, res.ID, res.URL = Created, out.GetID(), out.GetHTMLURL()
	return res, nil
}

// Find lists the pull request's comments, page by page, and returns the one for marker written by
// author (see FindOwn) and the other marker comments, left alone. With author "", the author is
// the token's own account when GitHub names it (see Author).
func (c *Client) Find(ctx context.Context, pr PullRequest, marker, author string) (Found, error) {
	var candidates []*github.IssueComment
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	for page := 0; page < maxPages; page++ {
		cs, resp, err := c.issues.ListComments(ctx, pr.Owner, pr.Repo, pr.Number, opts)
		if err != nil {
			return Found{}, wrap(fmt.Sprintf("list the comments of pull request #%d", pr.Number), resp, err)
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
	if author == "" && len(candidates) > 0 {
		author = c.Author(ctx)
	}
	if author == "" {
		author = DefaultAuthor
	}
	own, ignored := FindOwn(candidates, marker, author)
	return Found{Comment: own, Author: author, Ignored: ignored}, nil
}

// Author is the login of the token's account when GitHub names it (GET /user answers personal
// access tokens: "Get the authenticated user",
// https://docs.github.com/en/rest/users/users#get-the-authenticated-user), else DefaultAuthor:
// installation tokens, GITHUB_TOKEN's included, may not read GET /user (403 "Resource not
// accessible by integration"). A GitHub App's installation token writes as its own bot, which
// GitHub does not tell it: the workflow names it (comment-author).
func (c *Client) Author(ctx context.Context) string {
	u, _, err := c.users.Get(ctx, "")
	if err != nil || u.GetLogin() == "" {
		return DefaultAuthor
	}
	return u.GetLogin()
}

// FindOwn returns, among comments (in the order GitHub lists them, oldest first), the first whose
// first line is marker and whose author is author — user.login compared as GitHub compares logins,
// without case; for a bot's login (ending in "[bot]", which only a GitHub App's bot user can have)
// user.type "Bot" as well — and every other comment whose first line is marker, which is not
// sseguard's to edit or believe. A comment by anyone else is never chosen.
func FindOwn(comments []*github.IssueComment, marker, author string) (*github.IssueComment, []Ignored) {
	var own *github.IssueComment
	var ignored []Ignored
	bot := strings.HasSuffix(strings.ToLower(author), "[bot]")
	for _, cm := range comments {
		if cm == nil || !HasMarker(cm.GetBody(), marker) {
			continue
		}
		u := cm.GetUser()
		mine := author != "" && cm.GetID() != 0 && strings.EqualFold(u.GetLogin(), author) && (!bot || u.GetType() == "Bot")
		if mine && own == nil {
			own = cm
			continue
		}
		if !mine {
			ignored = append(ignored, Ignored{ID: cm.GetID(), Login: u.GetLogin(), Type: u.GetType()})
		}
	}
	return own, ignored
}
