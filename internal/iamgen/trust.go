package iamgen

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// TrustOptions say which workflows may assume a role through GitHub's OIDC provider.
type TrustOptions struct {
	Role Role
	// Account and Partition locate the OIDC provider (arn:PARTITION:iam::ACCOUNT:oidc-provider/...).
	Account, Partition string
	// Repo names the repository as GitHub's OIDC subject does: OWNER/REPO (the subject GitHub has
	// always sent), or OWNER@OWNER_ID/REPO@REPO_ID for a repository that sends immutable subject
	// claims (see Trust).
	Repo string
	// Branch is the apply branch (apply role; default main).
	Branch string
	// Environment, when set, limits the apply role to jobs in this GitHub environment (protected by
	// reviewers or branch rules) instead of the branch.
	Environment string
	// Workflow, when set, limits the role to this workflow file of the repository
	// (.github/workflows/sseguard-apply.yml) on the apply branch. IAM does not read GitHub's
	// custom claims (job_workflow_ref) as condition keys, so the repository's OIDC subject must
	// include it: set the repository's OIDC subject claim template to the keys
	// ["repo", "context", "job_workflow_ref"] (GitHub REST API, "Set the customization template
	// for an OIDC subject claim for a repository"); the sub then reads
	// repo:OWNER/REPO:ref:refs/heads/BRANCH:job_workflow_ref:OWNER/REPO/WORKFLOW@refs/heads/BRANCH.
	Workflow string
}

// oidcHost is GitHub's OIDC token issuer, as IAM names its condition keys.
const oidcHost = "token.actions.githubusercontent.com"

var (
	repoRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	// immutableRepoRE is OWNER@OWNER_ID/REPO@REPO_ID: names as GitHub spells them, ids as numbers.
	immutableRepoRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+@[1-9][0-9]{0,19}/[A-Za-z0-9_.-]+@[1-9][0-9]{0,19}$`)
	branchRE        = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)
)

// RepoForm says which OIDC subject form a --repo value is written in.
type RepoForm int

// The subject forms.
const (
	// RepoLegacy is repo:OWNER/REPO:..., the subject GitHub has always sent.
	RepoLegacy RepoForm = iota + 1
	// RepoImmutable is repo:OWNER@OWNER_ID/REPO@REPO_ID:..., sent by repositories that use
	// immutable subject claims.
	RepoImmutable
)

// ParseRepo says which subject form repo is written in, or why it is neither.
func ParseRepo(repo string) (RepoForm, error) {
	switch {
	case repoRE.MatchString(repo):
		return RepoLegacy, nil
	case immutableRepoRE.MatchString(repo):
		return RepoImmutable, nil
	case strings.Contains(repo, "@"):
		return 0, fmt.Errorf("--repo %q: the immutable form names both ids, OWNER@OWNER_ID/REPO@REPO_ID (numbers: gh api repos/OWNER/REPO --jq '.owner.id, .id')", repo)
	}
	return 0, fmt.Errorf("--repo %q: want OWNER/REPO, or OWNER@OWNER_ID/REPO@REPO_ID for a repository that sends immutable OIDC subjects", repo)
}

// WorkflowNote tells what Workflow asks of the repository's OIDC settings.
const WorkflowNote = `--workflow: this trust policy expects the repository's OIDC subject to include job_workflow_ref; set it once with
  gh api -X PUT repos/OWNER/REPO/actions/oidc/customization/sub -F use_default=false -f 'include_claim_keys[]=repo' -f 'include_claim_keys[]=context' -f 'include_claim_keys[]=job_workflow_ref'
(AWS does not read GitHub's custom claims as condition keys).`

// Trust returns the role's trust policy. The plan role may be assumed by the repository's pull
// request workflows (sub = repo:OWNER/REPO:pull_request) and by its runs on the apply branch
// (scheduled drift checks); the apply role only by runs on the apply branch (or in the environment),
// and, with Workflow, only by that workflow file. "Configuring OpenID Connect in Amazon Web
// Services" (GitHub Docs) and IAM's "Available keys for AWS web identity federation":
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
//
// Subjects are matched exactly (StringEquals), in the form the repository sends. A repository that
// uses immutable subject claims sends its owner's and its own numeric ids after the names:
// repo:OWNER@OWNER_ID/REPO@REPO_ID:ref:refs/heads/main (GitHub Docs, "OpenID Connect", Immutable
// subject claims, https://docs.github.com/en/actions/concepts/security/openid-connect); a trust
// policy written for repo:OWNER/REPO:... refuses such a token, and one written for the ids never
// matches a recreated repository of the same name. The ids are never matched by a wildcard.
func Trust(o TrustOptions) (*iampolicy.Document, error) {
	if o.Account == "" {
		return nil, errors.New("the trust policy needs the account of the OIDC provider: pass --account or name it in the policy file")
	}
	form, err := ParseRepo(o.Repo)
	if err != nil {
		return nil, err
	}
	if o.Branch == "" {
		o.Branch = "main"
	}
	if !branchRE.MatchString(o.Branch) {
		return nil, fmt.Errorf("--branch %q is not a branch name", o.Branch)
	}
	if o.Environment != "" && !branchRE.MatchString(o.Environment) {
		return nil, fmt.Errorf("--environment %q is not an environment name", o.Environment)
	}
	if o.Workflow != "" && !branchRE.MatchString(o.Workflow) {
		return nil, fmt.Errorf("--workflow %q is not a workflow path", o.Workflow)
	}
	if o.Workflow != "" && form == RepoImmutable {
		// GitHub documents the immutable ids for the default subject; how a customised subject
		// template (the one --workflow needs) spells them is not documented, and a guess would
		// either refuse every run or match too much.
		return nil, fmt.Errorf("--workflow goes with the default OIDC subject, which GitHub documents with immutable ids; %q with a customised subject template is not documented: drop --workflow (protect the apply branch or use --environment instead)", o.Repo)
	}
	partition := o.Partition
	if partition == "" {
		partition = "aws"
	}
	branchSub := "repo:" + o.Repo + ":ref:refs/heads/" + o.Branch
	var subs []string
	switch o.Role {
	case RolePlan:
		subs = []string{"repo:" + o.Repo + ":pull_request", branchSub}
	case RoleApply:
		subs = []string{branchSub}
		if o.Environment != "" {
			// A job in an environment gets sub = repo:OWNER/REPO:environment:NAME.
			subs = []string{"repo:" + o.Repo + ":environment:" + o.Environment}
		}
	default:
		return nil, fmt.Errorf("role %q: want plan or apply", o.Role)
	}
	cond := map[string]map[string][]string{
		"StringEquals": {
			oidcHost + ":aud": {"sts.amazonaws.com"},
			oidcHost + ":sub": subs,
		},
	}
	if o.Workflow != "" {
		wf := ":job_workflow_ref:" + o.Repo + "/" + o.Workflow + "@"
		switch o.Role {
		case RoleApply:
			for i := range subs {
				subs[i] += wf + "refs/heads/" + o.Branch
			}
			cond["StringEquals"][oidcHost+":sub"] = subs
		case RolePlan:
			// A pull request's workflow runs from its merge ref (refs/pull/N/merge).
			delete(cond["StringEquals"], oidcHost+":sub")
			cond["StringLike"] = map[string][]string{oidcHost + ":sub": {
				"repo:" + o.Repo + ":pull_request" + wf + "refs/pull/*/merge",
				branchSub + wf + "refs/heads/" + o.Branch,
			}}
		}
	}
	return &iampolicy.Document{Version: iampolicy.Version2012, Statements: []iampolicy.Statement{{
		Sid:       "GitHubActions" + map[Role]string{RolePlan: "Plan", RoleApply: "Apply"}[o.Role],
		Effect:    iampolicy.EffectAllow,
		Principal: &iampolicy.Principal{Federated: []string{fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", partition, o.Account, oidcHost)}},
		Action:    []string{"sts:AssumeRoleWithWebIdentity"},
		Resource:  nil,
		Condition: cond,
	}}}, nil
}
