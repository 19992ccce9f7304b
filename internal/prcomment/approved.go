package prcomment

import (
	"context"
	"fmt"
	"regexp"

	"github.com/google/go-github/v75/github"

	"github.com/sseguard/sseguard/internal/approval"
)

// Reading the approved plan back, on a push to the apply branch: the pull request the pushed
// commit came from ("List pull requests associated with a commit",
// https://docs.github.com/en/rest/commits/commits#list-pull-requests-associated-with-a-commit:
// "Lists the merged pull request that introduced the commit to the repository. If the commit is
// not present in the default branch, will only return open pull requests associated with the
// commit"), then sseguard's own comment there for the policy file, and the fingerprint in its
// hidden approval line.

// pullsAPI is the part of go-github's PullRequestsService used here, with its exact signature.
type pullsAPI interface {
	ListPullRequestsWithCommit(ctx context.Context, owner, repo, sha string, opts *github.ListOptions) ([]*github.PullRequest, *github.Response, error)
}

// Approved is what the pull request of a pushed commit says about the plan to apply.
type Approved struct {
	// PR is the merged pull request the commit came from; 0 when there is none.
	PR int
	// URL is the pull request's page (html_url), when it is one sseguard may link.
	URL string
	// Comment is true when sseguard's comment for the policy file was found there, written by
	// the identity the token acts as; Fingerprint is its approval line's, when HasApproval.
	Comment     bool
	HasApproval bool
	Fingerprint approval.Fingerprint
	// Author is the login the comment was looked for from (see Find); Ignored are the other
	// comments carrying the marker, never read.
	Author  string
	Ignored []Ignored
}

var shaFullRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// ApprovedPlan finds the merged pull request of commit sha whose base is branch, and reads the
// approved plan from sseguard's comment there: the one for marker written by author, found as
// Find finds the comment to update (author "" is the token's own account, see Author). A comment
// by anyone else is never read. A commit no merged pull request introduced answers PR 0.
func (c *Client) ApprovedPlan(ctx context.Context, owner, repo, sha, branch, marker, author string) (Approved, error) {
	if !shaFullRE.MatchString(sha) {
		return Approved{}, fmt.Errorf("commit %q is not a full SHA", sha)
	}
	pr, err := c.mergedPull(ctx, owner, repo, sha, branch)
	if err != nil || pr == nil {
		return Approved{}, err
	}
	out := Approved{PR: pr.GetNumber(), URL: linkable(pr.GetHTMLURL())}
	found, err := c.Find(ctx, PullRequest{Owner: owner, Repo: repo, Number: out.PR}, marker, author)
	if err != nil {
		return out, err
	}
	out.Author, out.Ignored = found.Author, found.Ignored
	if found.Comment == nil {
		return out, nil
	}
	out.Comment = true
	out.Fingerprint, out.HasApproval = ReadApproval(found.Comment.GetBody())
	return out, nil
}

// mergedPull returns the merged pull request of sha into branch (the one whose merge commit is
// sha, else the one merged last), or nil.
func (c *Client) mergedPull(ctx context.Context, owner, repo, sha, branch string) (*github.PullRequest, error) {
	var best *github.PullRequest
	opts := &github.ListOptions{PerPage: perPage}
	for page := 0; page < maxPages; page++ {
		prs, resp, err := c.pulls.ListPullRequestsWithCommit(ctx, owner, repo, sha, opts)
		if err != nil {
			return nil, wrap(fmt.Sprintf("find the pull request of commit %s", sha[:12]), resp, err)
		}
		for _, pr := range prs {
			if pr == nil || pr.MergedAt == nil || pr.GetNumber() <= 0 || pr.GetBase().GetRef() != branch {
				continue
			}
			switch {
			case best == nil, pr.GetMergeCommitSHA() == sha && best.GetMergeCommitSHA() != sha:
				best = pr
			case (pr.GetMergeCommitSHA() == sha) == (best.GetMergeCommitSHA() == sha) && pr.GetMergedAt().After(best.GetMergedAt().Time):
				best = pr
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return best, nil
}
