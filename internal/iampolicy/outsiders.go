package iampolicy

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// outsiderActions are the key actions that must not be open to principals outside the home and
// trusted accounts: using the key (cryptographic operations, and grants, which hand that use on)
// and managing it (anything that changes the key, its policy, aliases, tags, rotation or
// lifecycle). Read-only actions (DescribeKey, GetKeyPolicy, List*) are left out: a cross-account
// auditor reading the key is common and exposes no data.
var outsiderActions = []string{
	"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
	"kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
	"kms:CreateGrant", "kms:RetireGrant", "kms:RevokeGrant",
	"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:DisableKey", "kms:EnableKey",
	"kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:TagResource", "kms:UntagResource",
	"kms:UpdateKeyDescription", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:RotateKeyOnDemand",
	"kms:ImportKeyMaterial", "kms:DeleteImportedKeyMaterial", "kms:ReplicateKey", "kms:UpdatePrimaryRegion",
}

// uniqueIDPattern matches the unique id AWS shows for a deleted IAM user (AIDA...) or role
// (AROA...) ("IAM identifiers", Unique ID prefixes,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes).
var uniqueIDPattern = regexp.MustCompile(`^A(IDA|ROA)[A-Z0-9]{12,}$`)

// checkOutsiders reports, statement by statement, every Allow that lets a principal outside the
// home and trusted accounts use or manage the key, under conditions such a principal can satisfy.
//
// Who counts as an outsider: "*" or {"AWS": "*"}, everyone a NotPrincipal leaves (an Allow with
// NotPrincipal), an account principal or IAM/STS ARN of any other account, an ARN whose account is
// a wildcard (arn:aws:iam::*:role/X; AWS refuses partial wildcards in Principal, but a policy
// holding one is not trusted), any value sseguard cannot read, and service, federated and
// canonical-user principals (a service acts for whichever account calls it). Unique ids of deleted
// principals (AROA..., AIDA...) match nobody and are skipped.
//
// Which conditions protect: only one that pins the caller to the home and trusted accounts, i.e. a
// clause, ANDed with the rest, that can only be true for those accounts:
//   - StringEquals / StringEqualsIgnoreCase / StringLike (and their ForAnyValue forms) on
//     aws:PrincipalAccount, kms:CallerAccount or aws:SourceAccount, every value a home or trusted
//     account id, without wildcards;
//   - ArnEquals / ArnLike / StringEquals / StringLike (and ForAnyValue) on aws:PrincipalArn or
//     aws:SourceArn, every value an ARN whose partition, service, region and account fields hold no
//     wildcard and whose account is home or trusted.
//
// Everything else does not protect: an unknown key or operator, ...IfExists and ForAllValues
// (true when the key is absent), negated operators, aws:PrincipalOrgID (an organization holds
// accounts that are not trusted), kms:ViaService, kms:GrantIsForAWSResource, policy variables. A
// Deny statement can still close an open Allow: one that applies to everyone, covers the action
// and the key, and whose every condition is a negated pin ("StringNotEquals aws:PrincipalAccount
// <home>") refuses every outsider, so the actions it covers are not reported.
func (c *checker) checkOutsiders(home string, trusted []string, keyARN string) {
	if c.doc == nil {
		return
	}
	accounts := map[string]bool{}
	if home != "" {
		accounts[home] = true
	}
	for _, a := range trusted {
		accounts[a] = true
	}
	for i, s := range c.doc.Statements {
		if s.Effect != EffectAllow || !s.coversResource(keyARN) {
			continue
		}
		who, everyone := s.outsiders(accounts)
		if len(who) == 0 || pinsAccounts(s.Condition, accounts) {
			continue
		}
		var acts []string
		for _, a := range outsiderActions {
			if s.coversAction(a) && !c.guardDenies(a, keyARN, accounts) {
				acts = append(acts, a)
			}
		}
		if len(acts) == 0 {
			continue
		}
		ref := StatementRef{Index: i, Sid: s.Sid}
		code, whom := CodeOutsiderKey, "principals outside the home and trusted accounts ("+strings.Join(who, ", ")+")"
		if everyone {
			code, whom = CodePublicKey, "any AWS principal, in any account ("+strings.Join(who, ", ")+")"
		}
		cond := ""
		if len(s.Condition) > 0 {
			cond = " under conditions such a principal can meet (" + conditionText(s.Condition) + ")"
		}
		c.findings = append(c.findings, Finding{
			Code: code, Principal: strings.Join(who, ", "), Actions: acts, Sid: ref.String(), Blocker: true,
			Message: fmt.Sprintf("statement %s lets %s do %s on the key%s; list the account under trusted_accounts or restrict the statement", ref, whom, strings.Join(acts, ", "), cond),
		})
	}
}

// coversResource reports whether the statement's Resource (or NotResource) includes the key. An
// unknown key ARN is covered by anything: key policies normally say "*".
func (s Statement) coversResource(keyARN string) bool {
	if keyARN == "" {
		return true
	}
	switch {
	case s.Resource != nil:
		return anyGlob(s.Resource, keyARN, false)
	case s.NotResource != nil:
		return !anyGlob(s.NotResource, keyARN, false)
	}
	return false
}

func (s Statement) coversAction(action string) bool {
	switch {
	case s.Action != nil:
		return anyGlob(s.Action, action, true)
	case s.NotAction != nil:
		return !anyGlob(s.NotAction, action, true)
	}
	return false
}

// outsiders lists the statement's principals that are outside accounts, and whether they include
// everyone.
func (s Statement) outsiders(accounts map[string]bool) (who []string, everyone bool) {
	if s.NotPrincipal != nil {
		return []string{"everyone not listed in NotPrincipal"}, true
	}
	p := s.Principal
	if p == nil {
		return nil, false
	}
	if p.Wildcard {
		return []string{"*"}, true
	}
	for _, v := range p.AWS {
		switch acct, ok := principalAccount(v); {
		case v == "*":
			who, everyone = append(who, v), true
		case uniqueIDPattern.MatchString(v):
		case v == ApplyRolePlaceholder:
			// Apply names the principal it runs as, which is the key's own account's.
		case !ok:
			who = append(who, v)
			if strings.ContainsAny(v, "*?") {
				everyone = true
			}
		case !accounts[acct]:
			who = append(who, v)
		}
	}
	for _, v := range p.Service {
		who = append(who, "service "+v)
	}
	for _, v := range p.Federated {
		who = append(who, "federated "+v)
	}
	for _, v := range p.CanonicalUser {
		who = append(who, "canonical user "+v)
	}
	return who, everyone
}

// principalAccount returns the account of an "AWS" principal value (account id, root ARN, IAM or
// STS ARN), when it names one literally.
func principalAccount(v string) (string, bool) {
	if acct, _, ok := accountPrincipal(v); ok {
		return acct, true
	}
	a, ok := parseARN(v)
	if !ok || (a.service != "iam" && a.service != "sts") || !isAccountID(a.account) {
		return "", false
	}
	return a.account, true
}

var (
	accountPinKeys = map[string]bool{"aws:principalaccount": true, "kms:calleraccount": true, "aws:sourceaccount": true}
	arnPinKeys     = map[string]bool{"aws:principalarn": true, "aws:sourcearn": true}
)

// pinsAccounts reports whether one clause of the Condition element (clauses are ANDed) can only be
// true for callers in accounts.
func pinsAccounts(cond map[string]map[string][]string, accounts map[string]bool) bool {
	for op, keys := range cond {
		o, ok := parseOperator(op)
		if !ok || o.negated || o.ifExists || o.set == "ForAllValues" {
			continue
		}
		for k, vals := range keys {
			lk := strings.ToLower(k)
			switch {
			case accountPinKeys[lk] && (o.base == "StringEquals" || o.base == "StringEqualsIgnoreCase" || o.base == "StringLike"):
				if allValues(vals, func(v string) bool { return accounts[v] }) {
					return true
				}
			case arnPinKeys[lk] && (o.base == "ArnEquals" || o.base == "ArnLike" || o.base == "StringEquals" || o.base == "StringLike"):
				if allValues(vals, func(v string) bool { return arnPinned(v, accounts) }) {
					return true
				}
			}
		}
	}
	return false
}

func allValues(vals []string, ok func(string) bool) bool {
	if len(vals) == 0 {
		return false
	}
	for _, v := range vals {
		if !ok(v) {
			return false
		}
	}
	return true
}

// arnPinned reports whether an ARN pattern can only match ARNs of the accounts: no wildcard before
// the resource field (with StringLike, a * in an earlier field could span colons) and a home or
// trusted account.
func arnPinned(v string, accounts map[string]bool) bool {
	a, ok := parseARN(v)
	if !ok {
		return false
	}
	head := strings.Join([]string{a.partition, a.service, a.region, a.account}, ":")
	return !strings.ContainsAny(head, "*?$") && accounts[a.account]
}

// guardDenies reports whether a Deny statement refuses action to every principal outside accounts
// (see checkOutsiders).
func (c *checker) guardDenies(action, keyARN string, accounts map[string]bool) bool {
	for _, s := range c.doc.Statements {
		if s.Effect != EffectDeny || s.NotPrincipal != nil || s.Principal == nil || !s.Principal.everyone() ||
			!s.coversAction(action) || !s.coversResource(keyARN) || len(s.Condition) == 0 {
			continue
		}
		if negatedPinsOnly(s.Condition, accounts) {
			return true
		}
	}
	return false
}

// negatedPinsOnly reports whether every clause says "the caller is not one of these accounts" with
// only home or trusted accounts listed: then the ANDed clauses hold for every outsider.
func negatedPinsOnly(cond map[string]map[string][]string, accounts map[string]bool) bool {
	for op, keys := range cond {
		o, ok := parseOperator(op)
		if !ok || !o.negated || o.set != "" {
			return false
		}
		for k, vals := range keys {
			lk := strings.ToLower(k)
			switch {
			case (lk == "aws:principalaccount" || lk == "kms:calleraccount") && (o.base == "StringNotEquals" || o.base == "StringNotEqualsIgnoreCase"):
				if !allValues(vals, func(v string) bool { return accounts[v] }) {
					return false
				}
			case lk == "aws:principalarn" && (o.base == "ArnNotEquals" || o.base == "ArnNotLike"):
				if !allValues(vals, func(v string) bool { return arnPinned(v, accounts) }) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

// DeletedPrincipal is a principal in a policy that AWS shows as a unique id because the IAM user
// or role it named was deleted.
type DeletedPrincipal struct {
	Statement StatementRef
	// Element is "Principal" or "NotPrincipal".
	Element string
	// Value is the unique id, e.g. AROAKSCDLFT9R5DQP782U.
	Value string
}

// DeletedPrincipals finds the unique-id principals in a document, in statement order. AWS writes
// a role's or user's unique id in place of its ARN once the role or user is deleted ("AWS JSON
// policy elements: Principal", IAM role principals,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html;
// "Why is there an unknown principal format in my IAM resource-based policy?",
// https://repost.aws/knowledge-center/iam-resource-policy-format: AIDA for users, AROA for roles),
// and refuses to save a policy that still holds one ("Invalid principal in policy",
// https://repost.aws/knowledge-center/s3-invalid-principal-in-policy-error). No rewrite of such a
// policy can succeed until the value is removed or replaced.
func DeletedPrincipals(d *Document) []DeletedPrincipal {
	if d == nil {
		return nil
	}
	var out []DeletedPrincipal
	for i, s := range d.Statements {
		for _, e := range []struct {
			name string
			p    *Principal
		}{{"Principal", s.Principal}, {"NotPrincipal", s.NotPrincipal}} {
			if e.p == nil {
				continue
			}
			vals := append([]string(nil), e.p.AWS...)
			sort.Strings(vals)
			for _, v := range vals {
				if uniqueIDPattern.MatchString(v) {
					out = append(out, DeletedPrincipal{Statement: StatementRef{Index: i, Sid: s.Sid}, Element: e.name, Value: v})
				}
			}
		}
	}
	return out
}
