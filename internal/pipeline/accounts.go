package pipeline

import (
	"context"
	"errors"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/sanitize"
)

// accountRun is one account of a run: its part of the policy, its clients, and its plan once
// computed (set from the start for an account that could not be reached).
type accountRun struct {
	// id is the account's id for a member account, "" for the home account.
	id  string
	pol *policy.Policy
	c   AWS
	// role is the member role the run assumed ("" for the home account).
	role string
	plan *plan.Plan
}

// wrap says which account an error happened in (member accounts only).
func (r accountRun) wrap(err error) error {
	if r.id == "" {
		return err
	}
	return fmt.Errorf("account %s: %w", r.id, err)
}

// assumer is implemented by clients that can become clients of a role in another account.
type assumer interface {
	AssumeRole(roleARN, externalID, region string) AWS
}

// AssumeRole returns clients acting as roleARN (see awsclient.Clients.AssumeRole).
func (s sdkClients) AssumeRole(roleARN, externalID, region string) AWS {
	return sdkClients{s.c.AssumeRole(roleARN, externalID, region)}
}

// accountRuns answers the accounts a run visits, in the order the reports show them. A policy
// that lists no accounts is one run of the whole policy with the home clients, as it always was.
// A member account is reached through its role: the read-only plan role for a run that only
// plans, the apply role only for one that applies (a plan, a pull request's included, never holds
// credentials that write). One that cannot be reached gets a plan that blocks its buckets, and
// the others go on.
func (p *Pipeline) accountRuns(ctx context.Context, pol *policy.Policy, applying bool) ([]accountRun, error) {
	home, err := p.awsClients(ctx, pol)
	if err != nil {
		return nil, err
	}
	if len(pol.Accounts) == 0 {
		return []accountRun{{pol: pol, c: home}}, nil
	}
	as, ok := home.(assumer)
	if !ok {
		return nil, errors.New("the policy lists accounts, but these AWS clients cannot assume roles")
	}
	var runs []accountRun
	for _, id := range pol.AccountIDs() {
		part := pol.ForAccount(id)
		if id == "" {
			runs = append(runs, accountRun{pol: part, c: home})
			continue
		}
		a, _ := pol.AccountByID(id)
		role := a.RoleFor(applying)
		c := as.AssumeRole(role, a.ExternalID, part.Region)
		reason, err := reach(ctx, c, a.ID, role)
		if err != nil {
			return nil, err
		}
		r := accountRun{id: id, pol: part, c: c, role: role}
		if reason != "" {
			r.c, r.plan = nil, plan.Unreachable(part, id, reason)
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// reach checks that role can be assumed and that its credentials are account's: it answers why
// not ("" when they are), sanitized. The error is for a run that was cancelled.
func reach(ctx context.Context, c AWS, account, role string) (string, error) {
	id, err := c.Observe().STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if err != nil {
		// AWS's answer is untrusted text: its code and message only, made one safe line.
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return sanitize.Line(fmt.Sprintf("sts:AssumeRole of %s was refused: %s: %s", role, ae.ErrorCode(), ae.ErrorMessage())), nil
		}
		return sanitize.Line(fmt.Sprintf("sts:AssumeRole of %s failed: %v", role, err)), nil
	}
	if got := awssdk.ToString(id.Account); got != account {
		return sanitize.Line(fmt.Sprintf("the role %s gives credentials for account %s, not %s", role, got, account)), nil
	}
	return "", nil
}

// applyRole is the principal apply runs as in r's account, to be named in the policy of the keys
// it creates there: the member's apply role as the policy file names it (with its path), or, at
// home, the caller (sts:GetCallerIdentity), when a key policy can name it.
func applyRole(ctx context.Context, r accountRun) (string, error) {
	if r.role != "" {
		return r.role, nil
	}
	id, err := r.c.Observe().STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("find the role this apply runs as (sts:GetCallerIdentity): %w", err)
	}
	return iampolicy.NameableCaller(awssdk.ToString(id.Arn)), nil
}

// merge is the run's plan: a policy without accounts has one, returned as computed; otherwise
// the accounts' plans are merged, the home account's ids unqualified.
func merge(pol *policy.Policy, runs []accountRun) *plan.Plan {
	if len(pol.Accounts) == 0 {
		return runs[0].plan
	}
	home := pol.Account
	plans := make([]*plan.Plan, 0, len(runs))
	for _, r := range runs {
		if r.id == "" {
			home = r.plan.Account
		}
		plans = append(plans, r.plan)
	}
	return plan.Merge(home, plans...)
}
