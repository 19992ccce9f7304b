package iamgen

import (
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
)

// forAccount returns the part of pol a role in account needs and the roles it assumes: for a
// policy listing accounts, --account naming one of them is the role there (its buckets and keys
// alone), and anything else is the home role (the home account's buckets and keys, and
// sts:AssumeRole on every listed role).
func forAccount(pol *policy.Policy, account string) (*policy.Policy, []string) {
	if len(pol.Accounts) == 0 {
		return pol, nil
	}
	if _, ok := pol.AccountByID(account); ok {
		return pol.ForAccount(account), nil
	}
	var roles []string
	for _, a := range pol.Accounts {
		roles = append(roles, a.RoleARN)
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

// MemberTrustOptions say who may assume the role sseguard uses in a member account.
type MemberTrustOptions struct {
	// Account is the member account's id; it must be listed under the policy's accounts.
	Account string
	// AssumedBy is the ARN of the home account's role sseguard runs as (plan or apply role).
	AssumedBy []string
}

// MemberTrust returns the trust policy of the role sseguard assumes in a member account: the home
// roles may call sts:AssumeRole, and, when the policy's entry sets external_id, only with that
// external id (condition key sts:ExternalId, "How to use an external ID when granting access to
// your AWS resources to a third party",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html).
func MemberTrust(pol *policy.Policy, o MemberTrustOptions) (*iampolicy.Document, error) {
	a, ok := pol.AccountByID(o.Account)
	if !ok {
		return nil, fmt.Errorf("--account %q is not listed under the policy's accounts; the member trust policy is for a listed account's role", o.Account)
	}
	if len(o.AssumedBy) == 0 {
		return nil, errors.New("the member role's trust policy needs the home role that assumes it: pass --assumed-by ARN (the plan or apply role; repeatable)")
	}
	for _, s := range o.AssumedBy {
		r, err := arn.Parse(s)
		if err != nil || r.Service != "iam" || len(r.Resource) <= len("role/") || r.Resource[:len("role/")] != "role/" {
			return nil, fmt.Errorf("--assumed-by %q: want an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", s)
		}
		if r.AccountID == a.ID {
			return nil, fmt.Errorf("--assumed-by %q is in the member account itself; name the home account's role", s)
		}
	}
	var cond map[string]map[string][]string
	if a.ExternalID != "" {
		cond = map[string]map[string][]string{"StringEquals": {"sts:ExternalId": {a.ExternalID}}}
	}
	return &iampolicy.Document{Version: iampolicy.Version2012, Statements: []iampolicy.Statement{{
		Sid:       "SseguardHomeRole",
		Effect:    iampolicy.EffectAllow,
		Principal: &iampolicy.Principal{AWS: sortedUnique(slices.Clone(o.AssumedBy))},
		Action:    []string{"sts:AssumeRole"},
		Condition: cond,
	}}}, nil
}
