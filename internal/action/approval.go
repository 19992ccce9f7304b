package action

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/sseguard/sseguard/internal/approval"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/prcomment"
	"github.com/sseguard/sseguard/internal/report"
	"github.com/sseguard/sseguard/internal/sanitize"
	"github.com/sseguard/sseguard/internal/version"
)

// Apply only what the pull request showed. On a push to the apply branch, before anything is
// changed, the plan is compared with the one sseguard's comment showed on the pull request the
// pushed commit came from (its fingerprint is in the comment's hidden approval line; package
// approval says what it covers). The same plan applies. Another plan applies nothing and fails
// the step, saying what changed since the approved one, unless on-plan-change is apply.
//
// Scheduled and manually dispatched runs, and pushes no pull request introduced, apply as before
// and say that no approved plan was checked; so do runs with comment-on-pr off or no github-token
// (no pull request carries a plan then). A pull request with no plan of sseguard's to compare (no
// comment by the token's identity, or one whose last run failed), or one GitHub would not show,
// counts as a changed plan: nothing approved can be shown to equal what is about to be applied.

// approvalGate returns the function that decides, for a run that applies, whether the plan may be.
func (o *output) approvalGate(ctx context.Context, in Inputs, gh *githubactions.GitHubContext) func(*plan.Plan) error {
	return func(pl *plan.Plan) error {
		if len(pl.Changes) == 0 {
			return nil // nothing to apply, nothing to compare
		}
		unchecked := func(why string) error {
			o.info("No approved plan was checked: " + why + ".")
			o.summary(report.MarkdownNote("NOTE", "No approved plan was checked: "+why+".", nil))
			return nil
		}
		switch {
		case gh.EventName != "push":
			return unchecked(fmt.Sprintf("a %s run applies what the policy says", gh.EventName))
		case in.Comment.Off:
			return unchecked("comment-on-pr is false, so pull requests carry no plan to approve")
		case in.Comment.Token == "":
			return unchecked("there is no github-token to read the pull request with")
		case !repositoryRE.MatchString(gh.Repository):
			return o.unapproved(in, fmt.Sprintf("GITHUB_REPOSITORY (%q) is not OWNER/REPO, so the pull request of the pushed commit cannot be read", gh.Repository), nil)
		}
		fresh, err := approval.OfPlan(pl)
		if err != nil {
			return o.unapproved(in, "the plan could not be fingerprinted: "+err.Error(), nil)
		}
		owner, repo, _ := strings.Cut(gh.Repository, "/")
		client, err := prcomment.New(in.Comment.Token, gh.APIURL, &http.Client{Timeout: commentRequestTimeout})
		if err != nil {
			return o.unapproved(in, "the pull request of the pushed commit cannot be read: "+err.Error(), nil)
		}
		ctx, cancel := context.WithTimeout(ctx, commentTimeout)
		defer cancel()
		sha := gh.SHA
		got, err := client.ApprovedPlan(ctx, owner, repo, sha, in.ApplyBranch, prcomment.Marker(in.PolicyRel), in.Comment.Author)
		short := sha
		if len(short) > 12 {
			short = short[:12]
		}
		for _, ig := range got.Ignored {
			// Logins come from GitHub; still, nothing printed may become a workflow command.
			o.info(sanitize.Line(fmt.Sprintf("Pull request #%d: comment %d by %s (%s) starts with sseguard's marker for %s but was not written by %s: not read as an approval",
				got.PR, ig.ID, ig.Login, ig.Type, in.PolicyRel, got.Author)))
		}
		switch {
		case err != nil:
			return o.unapproved(in, fmt.Sprintf("the approved plan of commit %s could not be read: %v (the job needs permissions: pull-requests: read)", short, err), nil)
		case got.PR == 0:
			return unchecked(fmt.Sprintf("commit %s came from no pull request merged into %s", short, in.ApplyBranch))
		case !got.Comment:
			return o.unapproved(in, fmt.Sprintf("pull request #%d has no sseguard comment for %s written by %s (the account the token writes as), so no plan was approved there", got.PR, in.PolicyRel, got.Author), nil)
		case !got.HasApproval:
			return o.unapproved(in, fmt.Sprintf("sseguard's comment on pull request #%d shows no plan to approve (its last run stopped before it had one, or an older sseguard wrote it)", got.PR), nil)
		}
		d := approval.Compare(got.Fingerprint, fresh)
		if d.Same {
			msg := fmt.Sprintf("The plan is the one approved on pull request #%d (plan digest %s).", got.PR, fresh.Digest[:12])
			o.info(msg)
			o.summary(report.MarkdownNote("NOTE", msg, nil))
			return nil
		}
		return o.unapproved(in, fmt.Sprintf("the plan differs from the one approved on pull request #%d (plan digest %s now)", got.PR, fresh.Digest[:12]), d.Lines())
	}
}

// unapproved refuses the apply (on-plan-change: refuse), or warns and lets it go (apply).
func (o *output) unapproved(in Inputs, reason string, details []string) error {
	if in.OnPlanChange == OnPlanChangeApply {
		o.logWarning("Applying although " + reason + " (on-plan-change: apply)" + joinDetails(details))
		o.summary(report.MarkdownNote("WARNING", "Applying although "+reason+" (on-plan-change: apply).", details))
		return nil
	}
	return &approval.Refusal{Reason: reason, Details: details}
}

func joinDetails(details []string) string {
	if len(details) == 0 {
		return ""
	}
	return ": " + strings.Join(details, "; ")
}

// refused reports an apply refused by the approval check: why, and what changed, in the log and
// at the top of the job summary; then the plan, as a plan (nothing was applied).
func (o *output) refused(in Inputs, pl *plan.Plan, r *approval.Refusal) {
	o.logError("sseguard refused to apply: " + r.Reason + ". Nothing was changed.")
	for _, d := range r.Details {
		o.info("  " + d)
	}
	o.info("Plan the change on a pull request again (its sseguard comment then shows the plan to approve), or set on-plan-change to apply.")
	o.summary(report.MarkdownFailure(plan.ModeApply, "refused to apply: "+r.Reason+"; nothing was changed", r.Details, version.Get().Short()))
}
