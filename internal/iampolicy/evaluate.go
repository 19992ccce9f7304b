package iampolicy

import (
	"fmt"
	"sort"
	"strings"
)

// Decision is the outcome of evaluating a request against one policy document.
type Decision int

// The three outcomes of AWS's policy evaluation logic.
const (
	// ImplicitDeny: no statement allows the request (and none denies it).
	ImplicitDeny Decision = iota
	// Allow: a statement allows the request and none denies it.
	Allow
	// ExplicitDeny: a Deny statement applies; it wins over any Allow.
	ExplicitDeny
)

// String returns "Allow", "ExplicitDeny" or "ImplicitDeny".
func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	case ImplicitDeny:
		return "ImplicitDeny"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// Request is one API request to evaluate.
type Request struct {
	// Principal is the caller: an IAM ARN (arn:aws:iam::111122223333:role/X, ...:user/U,
	// ...:root, or an assumed-role session arn:aws:sts::111122223333:assumed-role/X/session), a
	// service principal (cloudfront.amazonaws.com), or "" for an anonymous caller.
	Principal string
	// Action is service:Operation, e.g. kms:Decrypt or s3:PutObject.
	Action string
	// Resource is the resource ARN, e.g. arn:aws:s3:::bucket/key or a key ARN.
	Resource string
	// Context holds the condition keys present in the request. A key that is not in the map is
	// absent from the request, which matters: see the condition operators' rules.
	Context map[string][]string
}

// EvalOptions changes how principals are matched.
type EvalOptions struct {
	// AccountPrincipalMatchesMembers makes an account principal ("111122223333" or
	// "arn:aws:iam::111122223333:root") match every principal of that account. By default it
	// matches only the account root itself, which is what a key policy means: the account principal
	// delegates to IAM, it does not grant a role anything by itself. Set it to ask "could IAM
	// policies in the account grant (or is this denied even if they do)?".
	AccountPrincipalMatchesMembers bool
}

// StatementRef points at a statement of a document, for messages.
type StatementRef struct {
	Index int // 0-based position in Document.Statements
	Sid   string
}

// String returns the Sid in quotes, or "statement #n" (1-based) for a statement without one.
func (r StatementRef) String() string {
	if r.Sid != "" {
		return fmt.Sprintf("%q", r.Sid)
	}
	return fmt.Sprintf("statement #%d", r.Index+1)
}

// Result is a Decision with the statements that led to it.
type Result struct {
	Decision Decision
	// Allowed lists the Allow statements that apply.
	Allowed []StatementRef
	// Denied lists the Deny statements that certainly apply.
	Denied []StatementRef
	// MaybeDenied lists Deny statements that apply unless a condition sseguard cannot judge
	// (unknown operator, policy variable) says otherwise. They make the Decision ExplicitDeny, but
	// are no guarantee that the request is refused.
	MaybeDenied []StatementRef
	// Warnings name the statements that could not be judged, and why.
	Warnings []string
}

// DenyIsCertain reports whether the request is refused by a Deny that sseguard could fully judge.
func (r Result) DenyIsCertain() bool { return len(r.Denied) > 0 }

// Evaluate returns the decision for r with default options.
func (d *Document) Evaluate(r Request) Decision {
	return d.Explain(r, EvalOptions{}).Decision
}

// Explain evaluates r against the document and says which statements decided: an explicit Deny
// wins over any Allow; otherwise the request is allowed if a statement allows it; otherwise it is
// implicitly denied. An Allow whose conditions cannot be judged does not grant; a Deny whose
// conditions cannot be judged counts as (possibly) denying. A nil document allows nothing.
func (d *Document) Explain(r Request, opt EvalOptions) Result {
	var res Result
	if d == nil {
		return res
	}
	ctx := make(map[string][]string, len(r.Context))
	for k, v := range r.Context {
		lk := strings.ToLower(k)
		ctx[lk] = append(ctx[lk], v...)
	}
	for i, s := range d.Statements {
		ref := StatementRef{Index: i, Sid: s.Sid}
		m, why := s.applies(r, ctx, opt, d.Version)
		if m == unknown {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s cannot be judged: %s", ref, why))
		}
		switch {
		case m == yes && s.Effect == EffectAllow:
			res.Allowed = append(res.Allowed, ref)
		case m == yes && s.Effect == EffectDeny:
			res.Denied = append(res.Denied, ref)
		case m == unknown && s.Effect == EffectDeny:
			res.MaybeDenied = append(res.MaybeDenied, ref)
		}
	}
	switch {
	case len(res.Denied) > 0 || len(res.MaybeDenied) > 0:
		res.Decision = ExplicitDeny
	case len(res.Allowed) > 0:
		res.Decision = Allow
	}
	return res
}

// tri is a three-valued truth: a statement applies, does not, or cannot be judged.
type tri int

const (
	no tri = iota
	yes
	unknown
)

func (s Statement) applies(r Request, ctx map[string][]string, opt EvalOptions, version string) (tri, string) {
	switch {
	case s.Principal != nil && !s.Principal.matches(r.Principal, opt):
		return no, ""
	case s.NotPrincipal != nil && s.NotPrincipal.matches(r.Principal, opt):
		return no, ""
	case s.Action != nil && !anyGlob(s.Action, r.Action, true):
		return no, ""
	case s.NotAction != nil && anyGlob(s.NotAction, r.Action, true):
		return no, ""
	}
	// Policy variables (${aws:username}) are substituted by AWS in 2012-10-17 documents; sseguard
	// does not resolve them, so a statement that uses them in Resource or Condition cannot be judged.
	vars := version == Version2012
	if vars && (hasVariable(s.Resource) || hasVariable(s.NotResource)) {
		return unknown, "uses a policy variable in Resource"
	}
	switch {
	case s.Resource != nil && !anyGlob(s.Resource, r.Resource, false):
		return no, ""
	case s.NotResource != nil && anyGlob(s.NotResource, r.Resource, false):
		return no, ""
	}
	return evalConditions(s.Condition, ctx, vars)
}

func hasVariable(vals []string) bool {
	for _, v := range vals {
		if strings.Contains(v, "${") {
			return true
		}
	}
	return false
}

func anyGlob(patterns []string, s string, fold bool) bool {
	if fold {
		s = strings.ToLower(s)
	}
	for _, p := range patterns {
		if fold {
			p = strings.ToLower(p)
		}
		if glob(p, s) {
			return true
		}
	}
	return false
}

// glob matches s against a pattern where * matches any run of characters (also none) and ?
// exactly one, as IAM does for actions, resources and StringLike.
func glob(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matches reports whether the caller is one of the principal element's principals.
func (p *Principal) matches(caller string, opt EvalOptions) bool {
	if p.Wildcard {
		return true
	}
	for _, a := range p.AWS {
		if a == "*" || awsPrincipalMatches(a, caller, opt) {
			return true
		}
	}
	for _, list := range [][]string{p.Service, p.Federated, p.CanonicalUser} {
		for _, v := range list {
			if caller != "" && v == caller {
				return true
			}
		}
	}
	return false
}

// awsPrincipalMatches matches one "AWS" principal value against the caller.
func awsPrincipalMatches(pol, caller string, opt EvalOptions) bool {
	if caller == "" {
		return false
	}
	if acct, ok := accountPrincipal(pol); ok {
		if c, ok := parseARN(caller); ok {
			if c.account != acct {
				return false
			}
			if opt.AccountPrincipalMatchesMembers {
				return true
			}
			return c.service == "iam" && c.resource == "root"
		}
		return false
	}
	if pol == caller {
		return true
	}
	// A role principal also matches the sessions of that role (the session ARN drops the path).
	p, ok1 := parseARN(pol)
	c, ok2 := parseARN(caller)
	if !ok1 || !ok2 || p.service != "iam" || c.service != "sts" || p.partition != c.partition || p.account != c.account {
		return false
	}
	roleName, ok := strings.CutPrefix(p.resource, "role/")
	if !ok {
		return false
	}
	if i := strings.LastIndex(roleName, "/"); i >= 0 {
		roleName = roleName[i+1:]
	}
	rest, ok := strings.CutPrefix(c.resource, "assumed-role/")
	if !ok {
		return false
	}
	name, _, ok := strings.Cut(rest, "/")
	return ok && name == roleName
}

// accountPrincipal recognises "111122223333" and "arn:<partition>:iam::111122223333:root".
func accountPrincipal(v string) (string, bool) {
	if isAccountID(v) {
		return v, true
	}
	if a, ok := parseARN(v); ok && a.service == "iam" && a.resource == "root" && isAccountID(a.account) {
		return a.account, true
	}
	return "", false
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

type arn struct {
	partition, service, region, account, resource string
}

func parseARN(s string) (arn, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return arn{}, false
	}
	return arn{parts[1], parts[2], parts[3], parts[4], parts[5]}, true
}

// AccountOf returns the account id of an ARN ("" when it has none).
func AccountOf(arnStr string) string {
	a, _ := parseARN(arnStr)
	return a.account
}

func refsString(refs []StatementRef) string {
	var s []string
	for _, r := range refs {
		s = append(s, r.String())
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
