package prcomment

import (
	"context"
	"fmt"
	"regexp"
	"strings"

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
	// Author is the login the comment was accepted from ("" when none was).
	Author string
}

var shaFullRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// ApprovedPlan finds the merged pull request of commit sha whose base is branch, and reads the
// approved plan from sseguard's comment there (the one for marker, written by the identity the
// token acts as: see ownComment). A commit no merged pull request introduced answers PR 0.
func (c *Client) ApprovedPlan(ctx context.Context, owner, repo, sha, branch, marker string) (Approved, error) {
	if !shaFullRE.MatchString(sha) {
		return Approved{}, fmt.Errorf("commit %q is not a full SHA", sha)
	}
	pr, err := c.mergedPull(ctx, owner, repo, sha, branch)
	if err != nil || pr == nil {
		return Approved{}, err
	}
	out := Approved{PR: pr.GetNumber(), URL: linkable(pr.GetHTMLURL())}
	candidates, err := c.markerComments(ctx, PullRequest{Owner: owner, Repo: repo, Number: out.PR}, marker)
	if err != nil || len(candidates) == 0 {
		return out, err
	}
	cm := ownComment(candidates, c.self(ctx))
	if cm == nil {
		return out, nil
	}
	out.Comment, out.Author = true, cm.GetUser().GetLogin()
	out.Fingerprint, out.HasApproval = ReadApproval(cm.GetBody())
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

// actionsBot is the account GITHUB_TOKEN writes as ("GITHUB_TOKEN reference", "the GitHub
// Actions bot", https://docs.github.com/en/actions/reference/github_token-reference).
const actionsBot = "github-actions[bot]"

// ownComment returns the first marker comment written by the identity the token acts as: self
// (GET /user's login, for a personal token), or, when GitHub does not say who the token is
// (installation tokens may not read GET /user), the GitHub Actions bot that GITHUB_TOKEN writes
// as. A comment by anyone else, another bot included, is never read as an approval: anyone may
// comment on a pull request, and a comment stays editable by its author.
//
// This is the approval's own author check, kept apart from Find (which chooses the comment to
// update) so that the two can be brought together once Find holds to the token's identity too.
func ownComment(comments []*github.IssueComment, self string) *github.IssueComment {
	for _, cm := range comments {
		if cm == nil || cm.GetID() == 0 {
			continue
		}
		author := cm.GetUser()
		switch {
		case self != "" && strings.EqualFold(author.GetLogin(), self):
			return cm
		case self == "" && author.GetLogin() == actionsBot && author.GetType() == "Bot":
			return cm
		}
	}
	return nil
}
