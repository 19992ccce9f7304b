package iampolicy

import (
	"strings"
)

// How the Principal and NotPrincipal elements cover a caller. The rules follow three AWS pages:
//
//   - "AWS JSON policy elements: Principal"
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
//     an account ("111122223333" or arn:aws:iam::111122223333:root) "delegates authority to the
//     account"; both forms behave the same and do not limit the statement to the root user. A role
//     ARN covers the role's sessions. "*" and {"AWS": "*"} cover everyone, anonymous callers
//     included. A wildcard cannot match part of a principal name or ARN.
//   - "Policy evaluation logic"
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
//     an explicit Deny in any policy overrides every Allow; KMS key policies "must explicitly allow
//     access for principals", so an account principal in an Allow only lets the account's IAM
//     policies grant access; it allows no role by itself. The principal making a request with a
//     role's credentials is the role session ARN, not the role ARN.
//   - "AWS JSON policy elements: NotPrincipal"
//     (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html):
//     with Deny, everyone except the listed principals is denied; "AWS might validate the account
//     first, then the role, and then the assumed-role user", so a principal is reliably exempt only
//     when the statement lists it together with its role (for a session) and its account.
//
// sseguard therefore judges an account principal as covering every identity of the account in a
// Deny, and only the account root itself in an Allow (unless EvalOptions says IAM delegation is to
// be counted). A NotPrincipal exempts a caller only when the caller itself is listed; when the
// caller is listed but its role or account is not, the statement "might" apply and is reported as
// not judged (a Deny then counts as possibly denying, an Allow as not granting).

// callerKind classifies a Request.Principal.
type callerKind int

const (
	callerAnonymous callerKind = iota
	callerRoot
	callerUser
	callerRole    // a role ARN: stands for any session of the role
	callerSession // arn:...:sts::A:assumed-role/R/S
	callerFederated
	callerService
	callerOther
)

// caller is a parsed Request.Principal.
type caller struct {
	kind      callerKind
	raw       string
	partition string
	account   string
	roleName  string // role and session callers: the role's name (without its path)
}

func parseCaller(s string) caller {
	c := caller{raw: s}
	if s == "" {
		return c
	}
	if isAccountID(s) {
		c.kind, c.account = callerRoot, s
		return c
	}
	a, ok := parseARN(s)
	if !ok {
		c.kind = callerService
		return c
	}
	c.partition, c.account = a.partition, a.account
	switch {
	case a.service == "iam" && a.resource == "root":
		c.kind = callerRoot
	case a.service == "iam" && strings.HasPrefix(a.resource, "user/"):
		c.kind = callerUser
	case a.service == "iam" && strings.HasPrefix(a.resource, "role/"):
		c.kind, c.roleName = callerRole, lastSegment(strings.TrimPrefix(a.resource, "role/"))
	case a.service == "sts" && strings.HasPrefix(a.resource, "assumed-role/"):
		rest := strings.TrimPrefix(a.resource, "assumed-role/")
		name, _, ok := strings.Cut(rest, "/")
		if !ok {
			c.kind = callerOther
			break
		}
		c.kind, c.roleName = callerSession, name
	case a.service == "sts" && strings.HasPrefix(a.resource, "federated-user/"):
		c.kind = callerFederated
	default:
		c.kind = callerOther
	}
	return c
}

func lastSegment(path string) string {
	if i := strings.LastIndex(path, "/"); i >= 0 {
		return path[i+1:]
	}
	return path
}

// principalARN is the caller's aws:PrincipalArn: for a role session, the role's ARN ("AWS global
// condition context keys", aws:PrincipalArn: "For IAM roles, the request context returns the ARN of
// the role, not the ARN of the user that assumed the role"). The role's path is not part of a
// session ARN, so a session's role ARN is rebuilt without it.
func (c caller) principalARN() string {
	switch c.kind {
	case callerSession:
		return "arn:" + c.partition + ":iam::" + c.account + ":role/" + c.roleName
	case callerRoot:
		if !strings.HasPrefix(c.raw, "arn:") {
			return RootARN(DefaultPartition, c.account)
		}
	case callerAnonymous, callerService:
		return ""
	}
	return c.raw
}

// inAccount reports whether an account principal (account, optional partition) names the caller's
// account.
func (c caller) inAccount(account, partition string) bool {
	if c.account == "" || c.account != account {
		return false
	}
	return partition == "" || c.partition == "" || partition == c.partition
}

// match says whether the Principal element covers the caller in a statement of the given effect.
// It answers unknown only for a role caller (any session) when the element names single sessions
// of that role.
func (p *Principal) match(c caller, effect string, opt EvalOptions) tri {
	if p.Wildcard {
		return yes
	}
	result := no
	for _, v := range p.AWS {
		switch m := awsValueMatches(v, c, effect, opt); {
		case m == yes:
			return yes
		case m == unknown:
			result = unknown
		}
	}
	if c.kind == callerService || c.kind == callerOther {
		for _, list := range [][]string{p.Service, p.Federated, p.CanonicalUser} {
			for _, v := range list {
				if v == c.raw {
					return yes
				}
			}
		}
	}
	return result
}

// awsValueMatches matches one "AWS" principal value against the caller.
func awsValueMatches(v string, c caller, effect string, opt EvalOptions) tri {
	if v == "*" {
		return yes
	}
	if c.kind == callerAnonymous || c.kind == callerService {
		return no
	}
	if acct, part, ok := accountPrincipal(v); ok {
		switch {
		case !c.inAccount(acct, part):
			return no
		case c.kind == callerRoot, effect == EffectDeny, opt.AccountPrincipalMatchesMembers:
			return yes
		}
		return no
	}
	if v == c.raw {
		return yes
	}
	p, ok := parseARN(v)
	if !ok || p.partition != c.partition || p.account != c.account {
		return no
	}
	switch {
	case p.service == "iam" && strings.HasPrefix(p.resource, "role/"):
		// A role principal covers the role's sessions (and a role caller stands for them).
		if (c.kind == callerSession || c.kind == callerRole) && lastSegment(strings.TrimPrefix(p.resource, "role/")) == c.roleName {
			return yes
		}
	case p.service == "sts" && strings.HasPrefix(p.resource, "assumed-role/"):
		// One session of the caller's role: some of the role's sessions are covered, not all.
		name, _, _ := strings.Cut(strings.TrimPrefix(p.resource, "assumed-role/"), "/")
		if c.kind == callerRole && name == c.roleName {
			return unknown
		}
	}
	return no
}

// exempts says whether a NotPrincipal element leaves the caller out: yes when the caller and every
// identity above it (role, account) are listed, no when the caller itself is not listed, unknown
// when the caller is listed but something above it is not.
func (p *Principal) exempts(c caller) tri {
	if p.Wildcard {
		return yes
	}
	for _, v := range p.AWS {
		if v == "*" {
			return yes
		}
	}
	switch c.kind {
	case callerAnonymous:
		return no
	case callerService, callerOther:
		for _, list := range [][]string{p.Service, p.Federated, p.CanonicalUser, p.AWS} {
			for _, v := range list {
				if v == c.raw {
					return yes
				}
			}
		}
		return no
	}
	accountListed, roleListed, selfListed, someSession := false, false, false, false
	for _, v := range p.AWS {
		if acct, part, ok := accountPrincipal(v); ok {
			if c.inAccount(acct, part) {
				accountListed = true
			}
			continue
		}
		if v == c.raw {
			selfListed = true
		}
		a, ok := parseARN(v)
		if !ok || a.partition != c.partition || a.account != c.account {
			continue
		}
		if rn, ok := strings.CutPrefix(a.resource, "role/"); ok && a.service == "iam" && c.roleName != "" && lastSegment(rn) == c.roleName {
			roleListed = true
		}
		if rest, ok := strings.CutPrefix(a.resource, "assumed-role/"); ok && a.service == "sts" {
			if name, _, _ := strings.Cut(rest, "/"); name == c.roleName {
				someSession = true
			}
		}
	}
	switch c.kind {
	case callerRoot:
		if accountListed || selfListed {
			return yes
		}
		return no
	case callerRole:
		// A role never calls itself: its sessions do, and the element can only name single
		// sessions. With none of them named, every session is denied.
		if !someSession {
			return no
		}
		return unknown
	case callerSession:
		switch {
		case !selfListed:
			return no
		case roleListed && accountListed:
			return yes
		}
		return unknown
	}
	// Users, federated users.
	switch {
	case !selfListed:
		return no
	case accountListed:
		return yes
	}
	return unknown
}

// accountPrincipal recognises "111122223333" and "arn:<partition>:iam::111122223333:root",
// returning the account and the partition ("" for the bare account id).
func accountPrincipal(v string) (account, partition string, ok bool) {
	if isAccountID(v) {
		return v, "", true
	}
	if a, ok := parseARN(v); ok && a.service == "iam" && a.resource == "root" && isAccountID(a.account) {
		return a.account, a.partition, true
	}
	return "", "", false
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

// NameableCaller returns the IAM principal a key policy can name for a caller (its ARN, as
// sts:GetCallerIdentity answers it): a user's own ARN, or for a session of a role the role's ARN
// (every session of the role is then covered). A session's ARN carries no role path, so the ARN
// is rebuilt without one: a role with a path is named correctly only when given as a role ARN.
// It answers "" for the account root (the root statement already covers it) and for callers a key
// policy cannot name (federated users, anything else).
func NameableCaller(callerARN string) string {
	c := parseCaller(callerARN)
	switch c.kind {
	case callerUser, callerRole, callerSession:
		return c.principalARN()
	}
	return ""
}
