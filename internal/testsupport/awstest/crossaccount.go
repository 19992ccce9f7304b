package awstest

// Rule 14 — requests from another account need both accounts' say.
//
// moto (with its default of cross-account access allowed) lets a caller of one account read
// another account's bucket, and the layer's same-account evaluation (rule 7) let a held bucket
// policy alone allow such a request, and let a caller use another account's KMS key whenever
// its own identity policy allowed it: with credentials of the caller's account moto finds no such
// key, so no key policy was consulted. AWS decides otherwise:
//
//   - "Cross-account policy evaluation logic"
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html):
//     a request to a resource in another account is allowed only when the resource-based policy
//     of the resource's account allows it (the principal, or its account, which then delegates to
//     that account's IAM policies) and the identity-based policy of the caller allows it too.
//   - "Allowing users in other accounts to use a KMS key"
//     (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html):
//     "The key policy for the KMS key must give the external account (or users and roles in the
//     external account) permission to use the KMS key", and "IAM policies in the external account
//     must delegate the key policy permissions to its users and roles"; "Neither the key policy
//     nor the IAM policy alone is sufficient". The key policy is read in the key's own account
//     (keyInfo), so a key ARN of another account is judged by its own key policy.
//
// An explicit Deny in either policy refuses, as before. A caller without an identity policy in
// the layer counts as one its account's IAM policies allow everything (the layer's convention for
// unrestricted keys); the resource's policy must still allow it.

import (
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// callerAccount is the account of the request's caller: its aws:PrincipalAccount, else the
// account of its ARN ("" for an anonymous caller or a service).
func callerAccount(req iampolicy.Request) string {
	for k, v := range req.Context {
		if len(v) == 1 && strings.EqualFold(k, "aws:PrincipalAccount") {
			return v[0]
		}
	}
	return iampolicy.AccountOf(req.Principal)
}

// decideCrossAccount decides a request to a resource of another account than the caller's: the
// resource policy must allow the caller or its account, and the caller's identity policy (when it
// has one) must allow the action. Explicit Denies were judged before.
func decideCrossAccount(req iampolicy.Request, idDoc *iampolicy.Document, resourceAllowsAccount bool) verdict {
	if idDoc != nil {
		res := idDoc.Explain(req, iampolicy.EvalOptions{})
		switch res.Decision {
		case iampolicy.ExplicitDeny:
			return verdict{explicit: true, policy: "an identity-based policy", detail: "identity policy statements " + refs(res.Denied, res.MaybeDenied)}
		case iampolicy.ImplicitDeny:
			return verdict{policy: "identity-based policy", detail: "another account's resource: the caller's identity policy must allow it too"}
		}
	}
	if !resourceAllowsAccount {
		return verdict{policy: "resource-based policy", detail: "another account's resource: its resource policy must allow the caller or its account"}
	}
	return verdict{allowed: true}
}
