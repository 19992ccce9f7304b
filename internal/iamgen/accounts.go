package iamgen

import (
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
)

// forAccount returns the part of pol a role in account needs and the roles it assumes: for a
// policy listing accounts, --account naming one of them is the role there (its buckets and keys
// alone), and anything else is the home role (the home account's buckets and keys, and
// sts:AssumeRole on the listed accounts' roles of the same kind: the home plan role on their plan
// roles only, the home apply role on their apply roles only).
func forAccount(pol *policy.Policy, account string, role Role) (*policy.Policy, []string) {
	if len(pol.Accounts) == 0 {
		return pol, nil
	}
	if _, ok := pol.AccountByID(account); ok {
		return pol.ForAccount(account), nil
	}
	var roles []string
	for _, a := range pol.Accounts {
		switch role {
		case RolePlan:
			roles = append(roles, a.PlanRoleARN)
		case RoleApply:
			roles = append(roles, a.ApplyRoleARN)
		}
	}
	return pol.ForAccount(""), roles
}

// assumeRoles lets the home role assume each listed account's role: sts:AssumeRole on the role
// resource ("Actions, resources, and condition keys for AWS Security Token Service",
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html).
// A cross-account AssumeRole needs both this identity policy and the member role's trust policy
// (MemberTrust).
func (g *gen) assumeRoles(roles []string) {
	g.add("AssumeAccountRoles", []string{"sts:AssumeRole"}, roles, nil)
}

// MemberTrustOptions say who may assume a role sseguard uses in a member account.
type MemberTrustOptions struct {
	// Role says which of the member's roles: plan (plan_role_arn) or apply (apply_role_arn).
	Role Role
	// Account is the member account's id; it must be listed under the policy's accounts.
	Account string
	// AssumedBy is the ARN of the home account's role of the same kind: the home plan role for the
	// member plan role, the home apply role for the member apply role.
	AssumedBy []string
}

// MemberTrust returns the trust policy of a role sseguard assumes in a member account: the home
// role of the same kind may call sts:AssumeRole, and, when the policy's entry sets external_id,
// only with that external id (condition key sts:ExternalId, "How to use an external ID when
// granting access to your AWS resources to a third party",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html).
// The member plan role trusts the home plan role alone, so that a plan (a pull request's) can never
// reach the member's apply role: its trust names only the home apply role.
func MemberTrust(pol *policy.Policy, o MemberTrustOptions) (*iampolicy.Document, error) {
	a, ok := pol.AccountByID(o.Account)
	if !ok {
		return nil, fmt.Errorf("--account %q is not listed under the policy's accounts; the member trust policy is for a listed account's role", o.Account)
	}
	own := map[Role]string{RolePlan: a.PlanRoleARN, RoleApply: a.ApplyRoleARN}
	if _, ok := own[o.Role]; !ok {
		return nil, fmt.Errorf("role %q: a member account has a plan role and an apply role", o.Role)
	}
	if len(o.AssumedBy) == 0 {
		return nil, fmt.Errorf("the trust policy of the member's %s role (%s) needs the home account's %s role that assumes it: pass --assumed-by ARN", o.Role, own[o.Role], o.Role)
	}
	for _, s := range o.AssumedBy {
		r, err := arn.Parse(s)
		if err != nil || r.Service != "iam" || len(r.Resource) <= len("role/") || r.Resource[:len("role/")] != "role/" {
			return nil, fmt.Errorf("--assumed-by %q: want an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", s)
		}
		if r.AccountID == a.ID {
			return nil, fmt.Errorf("--assumed-by %q is in the member account itself; name the home account's %s role", s, o.Role)
		}
		for _, m := range pol.Accounts {
			if s == m.PlanRoleARN || s == m.ApplyRoleARN {
				return nil, fmt.Errorf("--assumed-by %q is a member account's role; name the home account's %s role", s, o.Role)
			}
		}
	}
	var cond map[string]map[string][]string
	if a.ExternalID != "" {
		cond = map[string]map[string][]string{"StringEquals": {"sts:ExternalId": {a.ExternalID}}}
	}
	return &iampolicy.Document{Version: iampolicy.Version2012, Statements: []iampolicy.Statement{{
		Sid:       "SseguardHome" + map[Role]string{RolePlan: "Plan", RoleApply: "Apply"}[o.Role] + "Role",
		Effect:    iampolicy.EffectAllow,
		Principal: &iampolicy.Principal{AWS: sortedUnique(slices.Clone(o.AssumedBy))},
		Action:    []string{"sts:AssumeRole"},
		Condition: cond,
	}}}, nil
}
