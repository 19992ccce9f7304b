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
	// Principal is the caller: an IAM ARN (arn:aws:iam::111122223333:user/U, ...:root, or an
	// assumed-role session arn:aws:sts::111122223333:assumed-role/X/session), a service principal
	// (cloudfront.amazonaws.com), or "" for an anonymous caller. A role ARN
	// (arn:aws:iam::111122223333:role/X) stands for any session of that role: a role never makes a
	// request itself, its sessions do ("Policy evaluation logic").
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
	// "arn:aws:iam::111122223333:root") in an Allow statement match every principal of that
	// account, as if the account's IAM policies granted what the statement delegates. By default
	// such an Allow matches only the account root itself: the account principal delegates to IAM,
	// it does not grant a role anything by itself (KMS key policies "must explicitly allow access
	// for principals", "Policy evaluation logic"). Set it to ask "could IAM policies in the account
	// grant this?". In a Deny statement an account principal always covers every identity of the
	// account, whatever the option says.
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
	case s.Action != nil && !anyGlob(s.Action, r.Action, true):
		return no, ""
	case s.NotAction != nil && anyGlob(s.NotAction, r.Action, true):
		return no, ""
	}
	who, whoWhy := s.principalApplies(r.Principal, opt)
	if who == no {
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
	cond, why := evalConditions(s.Condition, ctx, vars)
	switch {
	case cond == no:
		return no, ""
	case who == unknown:
		return unknown, whoWhy
	}
	return cond, why
}

// principalApplies says whether the statement's Principal or NotPrincipal covers the caller.
func (s Statement) principalApplies(caller string, opt EvalOptions) (tri, string) {
	c := parseCaller(caller)
	switch {
	case s.Principal != nil:
		m := s.Principal.match(c, s.Effect, opt)
		if m == unknown {
			return unknown, fmt.Sprintf("its Principal names single sessions of the role %s, not all of them", caller)
		}
		return m, ""
	case s.NotPrincipal != nil:
		switch s.NotPrincipal.exempts(c) {
		case yes:
			return no, ""
		case unknown:
			return unknown, fmt.Sprintf("its NotPrincipal lists %s but not all of the account, role and session it belongs to; AWS documents that such a statement might apply to it", caller)
		}
		return yes, ""
	}
	return no, ""
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
		if Glob(p, s) {
			return true
		}
	}
	return false
}

// Glob matches s against a pattern where * matches any run of characters (also none) and ?
// exactly one, as IAM does for actions, resources and StringLike.
func Glob(pattern, s string) bool {
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

// DefaultPartition is the partition of AWS's commercial Regions, used when nothing names another.
const DefaultPartition = "aws"

// PartitionOf returns the partition of an ARN (aws, aws-cn, aws-us-gov, ...), or "" when s is not
// an ARN. ARNs carry their partition as the second field ("Identify AWS resources with
// Amazon Resource Names (ARNs)", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html:
// aws, aws-cn, aws-us-gov; "each AWS account is scoped to one partition").
func PartitionOf(s string) string {
	a, _ := parseARN(s)
	return a.partition
}

// partitionOr returns partition, else the partition of the first ARN among fallbacks, else
// DefaultPartition.
func partitionOr(partition string, fallbacks ...string) string {
	if partition != "" {
		return partition
	}
	for _, f := range fallbacks {
		if p := PartitionOf(f); p != "" {
			return p
		}
	}
	return DefaultPartition
}

// RootARN returns the account principal's ARN in the partition (DefaultPartition when empty).
func RootARN(partition, account string) string {
	return "arn:" + partitionOr(partition) + ":iam::" + account + ":root"
}

// PrincipalInAccounts reports whether principal (an IAM or STS ARN, or a 12-digit account id)
// belongs to one of the accounts. Service principals, "*" and ARNs whose account is a wildcard
// belong to none.
func PrincipalInAccounts(principal string, accounts []string) bool {
	acct := principal
	if !isAccountID(acct) {
		a, ok := parseARN(principal)
		if !ok || (a.service != "iam" && a.service != "sts") {
			return false
		}
		acct = a.account
	}
	if !isAccountID(acct) {
		return false
	}
	for _, a := range accounts {
		if a == acct {
			return true
		}
	}
	return false
}

func refsString(refs []StatementRef) string {
	var s []string
	for _, r := range refs {
		s = append(s, r.String())
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
