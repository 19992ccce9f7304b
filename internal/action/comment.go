package action

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/sseguard/sseguard/internal/approval"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/prcomment"
	"github.com/sseguard/sseguard/internal/sanitize"
	"github.com/sseguard/sseguard/internal/version"
)

// CommentInputs are the inputs of the pull-request comment. The zero value comments, as the
// comment-on-pr input's default says, once a token is given.
type CommentInputs struct {
	// Off is true when comment-on-pr is false.
	Off bool
	// Token is the github-token input (action.yml defaults it to the job's GITHUB_TOKEN). Empty
	// means no comment: outside a runner there is none to use.
	Token string
	// Author is the comment-author input: the login the token writes as; "" lets prcomment find
	// it (the token's own account, else github-actions[bot]).
	Author string
}

// loginRE is a GitHub login (letters, digits, single hyphens; up to 39 characters), or a GitHub
// App's bot user (its slug followed by "[bot]").
var loginRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}(\[bot\])?$`)

// readCommentInputs reads comment-on-pr and github-token.
func readCommentInputs(a *githubactions.Action) (CommentInputs, []error) {
	var c CommentInputs
	var errs []error
	if v := a.GetInput("comment-on-pr"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("input comment-on-pr is %q: it must be true or false", v))
		}
		c.Off = !b
	}
	c.Token = a.GetInput("github-token")
	if v := a.GetInput("comment-author"); v != "" {
		if !loginRE.MatchString(v) {
			errs = append(errs, fmt.Errorf("input comment-author is %q: it must be a GitHub login (octocat) or a GitHub App's bot (my-app[bot])", v))
		}
		c.Author = v
	}
	return c, errs
}

// commentEvents are the events whose runs comment on their pull request. pull_request_review and
// pull_request_review_comment runs plan too, but a review is not a push: the comment follows the
// pull request's commits.
var commentEvents = map[string]bool{"pull_request": true, "pull_request_target": true}

// commentTimeout bounds everything the comment does, so that GitHub's API never holds the step
// up for long; each request is bounded by commentRequestTimeout.
const (
	commentTimeout        = 45 * time.Second
	commentRequestTimeout = 20 * time.Second
)

var repositoryRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)

// commentPlan writes the plan (redacted, as everything written for people) as the policy
// file's comment on the pull request. It never changes the step's exit code: what goes wrong is
// a warning.
func (o *output) commentPlan(ctx context.Context, in Inputs, gh *githubactions.GitHubContext, exact *plan.Plan) {
	pl := sanitize.Redacted(o.red, exact)
	// The fingerprint of the exact plan, for the apply after the merge to compare with its own.
	fp, err := approval.OfPlan(exact)
	if err != nil {
		o.logWarning("the comment will carry no plan to approve: " + err.Error())
	}
	o.comment(ctx, in, gh, func(opts prcomment.Options, previous string) string {
		if err == nil {
			opts.Approval = &fp
		}
		opts.Summary, opts.JSONFile = o.shown, o.red.String(o.jsonShown)
		return prcomment.PlanBody(pl, opts, previous)
	})
}

// commentFailure replaces the policy file's comment with a failure line, so that an earlier plan
// does not stand as the current one when this run has none.
func (o *output) commentFailure(ctx context.Context, in Inputs, gh *githubactions.GitHubContext, what string) {
	what = o.red.String(what)
	o.comment(ctx, in, gh, func(opts prcomment.Options, _ string) string {
		return prcomment.FailureBody(what, opts)
	})
}

func (o *output) comment(ctx context.Context, in Inputs, gh *githubactions.GitHubContext, render func(prcomment.Options, string) string) {
	if in.Comment.Off || in.Comment.Token == "" || !commentEvents[gh.EventName] {
		return
	}
	number := pullRequestNumber(gh.Event)
	if number <= 0 || !repositoryRE.MatchString(gh.Repository) {
		o.logWarning(fmt.Sprintf("no comment on the pull request: the event payload names no pull request number, or GITHUB_REPOSITORY (%q) is not OWNER/REPO", gh.Repository))
		return
	}
	owner, repo, _ := strings.Cut(gh.Repository, "/")
	opts := prcomment.Options{PolicyPath: in.PolicyRel, Commit: headSHA(gh.Event), Version: version.Get().Short()}
	if gh.RunID > 0 {
		opts.RunURL = strings.TrimSuffix(gh.ServerURL, "/") + "/" + gh.Repository + "/actions/runs/" + strconv.FormatInt(gh.RunID, 10)
	}
	client, err := prcomment.New(in.Comment.Token, gh.APIURL, &http.Client{Timeout: commentRequestTimeout})
	if err != nil {
		o.logWarning(fmt.Sprintf("no comment on pull request #%d: %v", number, err))
		return
	}
	ctx, cancel := context.WithTimeout(ctx, commentTimeout)
	defer cancel()
	res, err := client.Upsert(ctx, prcomment.PullRequest{Owner: owner, Repo: repo, Number: number}, prcomment.Marker(opts.PolicyPath),
		in.Comment.Author, func(previous string) string { return render(opts, previous) })
	for _, ig := range res.Ignored {
		// Logins come from GitHub; still, nothing printed may become a workflow command.
		o.info(sanitize.Line(fmt.Sprintf("Pull request #%d: left comment %d by %s (%s) alone: it starts with sseguard's marker for %s but was not written by %s",
			number, ig.ID, ig.Login, ig.Type, in.PolicyRel, res.Author)))
	}
	var perr *prcomment.Error
	switch {
	case errors.As(err, &perr) && perr.Denied():
		o.logWarning(fmt.Sprintf("sseguard could not comment on pull request #%d: GitHub answered %d to the github-token input's token (%v). "+
			"A pull request from a fork gets a read-only GITHUB_TOKEN, so this is expected there; otherwise give the job "+
			"`permissions: pull-requests: write`, or set comment-on-pr to false. The plan is in the job summary.", number, perr.Status, err))
	case err != nil:
		o.logWarning(fmt.Sprintf("sseguard could not comment on pull request #%d: %v. The plan is in the job summary.", number, err))
	default:
		o.info(fmt.Sprintf("Pull request #%d: %s the plan comment for %s: %s", number, res.Action, in.PolicyRel, res.URL))
	}
}

// invalidPolicyComment is what the comment says of a policy that does not validate.
func invalidPolicyComment(problems int) string {
	n := fmt.Sprintf("%d problems", problems)
	if problems == 1 {
		n = "1 problem"
	}
	return "the policy does not validate (" + n + "): see the annotations on its lines"
}

// pullRequestNumber is the pull request's number from a pull_request or pull_request_target
// payload (pull_request.number, else the top-level number), or 0.
func pullRequestNumber(event map[string]any) int {
	n, _ := event["number"].(float64)
	if pr, ok := event["pull_request"].(map[string]any); ok {
		if v, ok := pr["number"].(float64); ok {
			n = v
		}
	}
	if n <= 0 || n > 1<<31 || n != float64(int(n)) {
		return 0
	}
	return int(n)
}

// headSHA is the pull request's head commit from the payload, or "".
func headSHA(event map[string]any) string {
	pr, _ := event["pull_request"].(map[string]any)
	head, _ := pr["head"].(map[string]any)
	sha, _ := head["sha"].(string)
	return sha
}
