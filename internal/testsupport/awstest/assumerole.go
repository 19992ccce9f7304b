package awstest

// Rule 11 — AssumeRole as STS decides it, and sessions of roles held to the role's policy.
//
// moto answers AssumeRole for any role ARN, existing or not, whatever the role's trust policy and
// the ExternalId sent. STS does not: "AssumeRole" (AWS Security Token Service API Reference,
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html) returns credentials
// only when the role's trust policy (its resource-based policy) allows the caller, and, across
// accounts, the caller's identity policy allows sts:AssumeRole on the role too (rule 7 checks
// that side). A trust policy asks for an external id with a condition on sts:ExternalId, which
// the request's ExternalId parameter sets: "How to use an external ID when granting access to
// your AWS resources to a third party" (IAM User Guide,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html).
// A refusal is STS's AccessDenied, "User: ... is not authorized to perform: sts:AssumeRole on
// resource: ...", in STS's XML error shape.
//
// The temporary credentials then act as the role: SetRolePolicy gives a role the permissions
// policy its sessions are checked against (rule 7), as SetIdentityPolicy does for an access key.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// SetRolePolicy gives the role roleARN a permissions policy: every request signed with the
// credentials of a session of that role (AssumeRole) is checked against it from now on, as for
// SetIdentityPolicy. An empty policy removes it.
func (l *Layer) SetRolePolicy(roleARN, policyJSON string) error {
	return l.setPolicy(func(s *state) map[string]*iampolicy.Document { return s.rolePolicies }, roleARN, policyJSON, "policy of role")
}

// refuseAssumeRole answers AccessDenied (and true) when STS would refuse the AssumeRole request.
func (l *Layer) refuseAssumeRole(w http.ResponseWriter, c *call) bool {
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	why := l.assumeRoleProblem(ctx, c)
	if why == "" {
		return false
	}
	roleARN := c.form.Get("RoleArn")
	who := c.principal
	if who == "" {
		who = "anonymous"
	}
	l.record(c, []requirement{{action: "sts:AssumeRole", resource: roleARN, reason: why}}, why)
	writeAccessDenied(w, c, fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", who, roleARN))
	return true
}

// roleTrust reads the trust policy of the role roleARN in its own account (with credentials moto
// maps to that account), or says why it cannot.
func (l *Layer) roleTrust(ctx context.Context, c *call, roleARN string) (*iampolicy.Document, string) {
	a, ok := parseARN(roleARN)
	if !ok || a.service != "iam" || !strings.HasPrefix(a.resource, "role/") {
		return nil, "not a role ARN"
	}
	name := a.resource[strings.LastIndexByte(a.resource, '/')+1:]
	body, err := l.motoQuery(ctx, l.akidForAccount(ctx, c, a.account), "iam",
		url.Values{"Action": {"GetRole"}, "RoleName": {name}, "Version": {"2010-05-08"}})
	if err != nil {
		return nil, "the role does not exist in account " + a.account
	}
	if got := xmlField(body, "Arn"); got != roleARN {
		return nil, fmt.Sprintf("the role's ARN is %s", got)
	}
	trust := xmlField(body, "AssumeRolePolicyDocument")
	if !strings.HasPrefix(strings.TrimSpace(trust), "{") {
		// IAM returns the document URL-encoded.
		if dec, err := url.QueryUnescape(trust); err == nil {
			trust = dec
		}
	}
	doc, err := parseTrustPolicy(trust, roleARN)
	if err != nil {
		return nil, "the role's trust policy cannot be read: " + err.Error()
	}
	return doc, ""
}

// assumeRoleProblem says why the role cannot be assumed by the caller, or "".
func (l *Layer) assumeRoleProblem(ctx context.Context, c *call) string {
	roleARN := c.form.Get("RoleArn")
	doc, why := l.roleTrust(ctx, c, roleARN)
	if doc == nil {
		return why
	}
	reqCtx := l.baseContext(c)
	if ext := c.form.Get("ExternalId"); ext != "" {
		reqCtx["sts:ExternalId"] = []string{ext}
	}
	req := iampolicy.Request{Principal: c.principal, Action: "sts:AssumeRole", Resource: roleARN, Context: reqCtx}
	// An account principal in a trust policy stands for the account's principals whose own
	// policies allow the call (rule 7 checks those).
	if res := doc.Explain(req, iampolicy.EvalOptions{AccountPrincipalMatchesMembers: true}); res.Decision != iampolicy.Allow {
		return "the role's trust policy does not allow the caller (with this external id)"
	}
	return ""
}

// parseTrustPolicy parses a role's trust policy with iampolicy, which reads policies with a
// Resource: a trust policy has none (it is the role's own policy), so each statement gets the
// role as its Resource.
func parseTrustPolicy(src, roleARN string) (*iampolicy.Document, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(src), &top); err != nil || top == nil {
		return nil, errors.New("not a JSON object")
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(top["Statement"], &list); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(top["Statement"], &one); err != nil || one == nil {
			return nil, errors.New("Statement must be an object or a list of objects")
		}
		list = []map[string]json.RawMessage{one}
	}
	res, _ := json.Marshal(roleARN)
	for i, st := range list {
		if st == nil {
			return nil, fmt.Errorf("statement %d is not an object", i+1)
		}
		st["Resource"] = res
	}
	b, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	top["Statement"] = b
	full, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	return iampolicy.Parse(string(full))
}
