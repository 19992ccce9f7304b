package policy

import (
	"regexp"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"gopkg.in/yaml.v3"
)

// Account is another AWS account the policy manages, through a role sseguard assumes there.
type Account struct {
	// ID is the account's 12-digit id.
	ID string
	// PlanRoleARN is the read-only role sseguard assumes in the account to plan (pull requests,
	// drift checks, `sseguard plan`); ApplyRoleARN the role that writes, assumed only to apply.
	// A plan never assumes the apply role: code in a pull request could otherwise write in every
	// member account.
	PlanRoleARN, ApplyRoleARN string
	// ExternalID is passed to AssumeRole when the role's trust policy asks for one.
	ExternalID string
	// Region is used for the account's calls not tied to a bucket or key; empty means the
	// policy's region.
	Region string
	Pos    Pos
}

// accountFields are the fields of an accounts entry.
// role_arn is accepted only to say what replaced it.
var accountFields = []string{"id", "plan_role_arn", "apply_role_arn", "role_arn", "external_id", "region"}

// RoleFor returns the role sseguard assumes in the account for a run that applies or only plans.
func (a Account) RoleFor(applying bool) string {
	if applying {
		return a.ApplyRoleARN
	}
	return a.PlanRoleARN
}

// External ids: "The external ID value that a third party uses to assume a role must have a
// minimum of 2 characters and a maximum of 1,224 characters. The value must be alphanumeric
// without white space. It can also include the following symbols: plus (+), equal (=), comma (,),
// period (.), at (@), colon (:), forward slash (/), and hyphen (-)." (IAM and AWS STS quotas,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html; AssumeRole's
// ExternalId, https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html, has the
// same length constraints and the pattern [\w+=,.@:\/-]*.)
var externalIDRE = regexp.MustCompile(`^[A-Za-z0-9_+=,.@:/-]+$`)

// External id length limits (same pages).
const (
	minExternalIDLen = 2
	maxExternalIDLen = 1224
)

// accounts checks the accounts list against the home account (when set).
func (c *checker) accounts(f field, home string) []Account {
	items, _ := c.entries(f, "accounts must be a list of accounts (- id: \"111122223333\" plan_role_arn: ... apply_role_arn: ...)")
	var out []Account
	lines := map[string]int{}
	for _, item := range items {
		if c.aborted {
			break
		}
		a, idAt := c.account(item, home)
		if a.ID == "" {
			continue
		}
		if line, dup := lines[a.ID]; dup {
			c.errorf(idAt, "account %s is listed twice (first at line %d)", a.ID, line)
			continue
		}
		lines[a.ID] = a.Pos.Line
		out = append(out, a)
	}
	return out
}

// account checks one accounts entry; it answers the node to point at when the id is repeated.
func (c *checker) account(item *yaml.Node, home string) (Account, *yaml.Node) {
	a := Account{Pos: Pos{Line: item.Line, Column: item.Column}}
	fs, ok := c.mapping(item, "accounts entry", accountFields)
	if !ok {
		return a, item
	}
	idAt := item
	if f, ok := fs["id"]; !ok {
		c.errorf(item, "accounts entry has no id; add id: \"111122223333\" (12 digits, quoted)")
	} else if id, good := c.accountID(f, "id"); good {
		idAt = f.at
		if id == home {
			c.errorf(f.at, "accounts entry %s is the policy's own account; list other accounts only (the home account needs no role)", id)
		} else {
			a.ID = id
		}
	}
	if f, ok := fs["role_arn"]; ok {
		c.errorf(f.at, "role_arn is no longer read: a plan (pull requests included) must not be able to assume the role that writes. "+
			"Name two roles instead: plan_role_arn, the read-only role plan assumes (`sseguard iam-policy --role plan --account ID`), "+
			"and apply_role_arn, the role apply assumes (`--role apply --account ID`)")
	}
	roles := map[string]*string{"plan_role_arn": &a.PlanRoleARN, "apply_role_arn": &a.ApplyRoleARN}
	id := a.ID
	if id == "" {
		id = "ACCOUNT"
	}
	purpose := map[string]string{
		"plan_role_arn":  "the read-only role that plan and pull requests assume there (arn:aws:iam::" + id + ":role/NAME; `sseguard iam-policy --role plan --account " + id + "` prints its policy)",
		"apply_role_arn": "the role that apply assumes there to write (arn:aws:iam::" + id + ":role/NAME; `sseguard iam-policy --role apply --account " + id + "` prints its policy)",
	}
	for _, name := range []string{"plan_role_arn", "apply_role_arn"} {
		f, ok := fs[name]
		if !ok {
			if _, old := fs["role_arn"]; !old {
				c.errorf(item, "accounts entry has no %s: name %s", name, purpose[name])
			}
			continue
		}
		if s, good := c.str(f, name); good {
			*roles[name] = s
			// The role to assume is in the account the entry manages.
			if p := roleARNProblem(name, s, a.ID, "the entry is for account "+a.ID+"; the role to assume is in the account it manages"); p != "" {
				c.errorf(f.at, "%s", p)
			}
		}
	}
	if a.PlanRoleARN != "" && a.PlanRoleARN == a.ApplyRoleARN {
		c.errorf(fs["apply_role_arn"].at, "apply_role_arn is the same role as plan_role_arn: plans, pull requests included, could then write in account %s; give plan a read-only role of its own", a.ID)
	}
	if f, ok := fs["external_id"]; ok {
		if s, good := c.str(f, "external_id"); good {
			a.ExternalID = s
			if len(s) < minExternalIDLen || len(s) > maxExternalIDLen || !externalIDRE.MatchString(s) {
				c.errorf(f.at, "external_id must be 2 to 1224 characters: letters, digits and + = , . @ : / _ - (no spaces), as STS AssumeRole accepts")
			}
		}
	}
	if f, ok := fs["region"]; ok {
		a.Region, _ = c.region(f, "region")
	}
	return a, idAt
}

// accountID checks a field holding an account id: a quoted string of 12 digits.
func (c *checker) accountID(f field, name string) (string, bool) {
	n := f.val
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str" && accountRE.MatchString(n.Value):
		return n.Value, true
	case n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float"):
		c.errorf(f.at, "%s must be a quoted string of 12 digits: unquoted, YAML reads it as a number (and drops leading zeros); write %s: \"%s\"", name, name, n.Value)
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		c.errorf(f.at, "%s %q must be 12 digits", name, n.Value)
	default:
		c.errorf(f.at, "%s must be a quoted string of 12 digits, not %s", name, describe(n))
	}
	return "", false
}

// roleARNProblem checks field's value s: an IAM role ARN, in account when account is known. A
// role in another account is refused with mismatch, which says what the account must be.
func roleARNProblem(field, s, account, mismatch string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return field + " " + strconv.Quote(s) + " must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
	}
	if p := arnProblem(a, "iam"); p != "" {
		return field + " " + strconv.Quote(s) + ": " + p
	}
	if a.Region != "" || !hasName(a.Resource, "role/") {
		return field + " " + strconv.Quote(s) + " must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
	}
	if account != "" && a.AccountID != account {
		return field + " " + strconv.Quote(s) + " is in account " + a.AccountID + ", but " + mismatch
	}
	return ""
}

// entryAccount checks a bucket's or key's account field: the home account or one the policy lists
// under accounts. It answers the account ("" for the home account) and the trust that applies to
// the entry's principals: a member account's own, plus trusted_accounts.
func (c *checker) entryAccount(fs map[string]field, tr trust, label string) (string, trust) {
	f, ok := fs["account"]
	if !ok {
		return "", tr
	}
	id, good := c.accountID(f, "account")
	switch {
	case !good:
		return "", tr
	case id == tr.home:
		return "", tr
	case !slices.Contains(tr.members, id):
		if tr.home == "" {
			c.errorf(f.at, "%s names account %s, which is not listed under accounts; list it there with the role to assume (or, if it is the home account, set the policy's account: \"%s\")", label, id, id)
		} else {
			c.errorf(f.at, "%s names account %s, which is neither the policy's account %s nor listed under accounts; list it there with the role to assume", label, id, tr.home)
		}
		return "", tr
	}
	return id, trust{home: id, trusted: tr.trusted, members: tr.members}
}

// AccountByID returns the policy's accounts entry for id, if it has one.
func (p *Policy) AccountByID(id string) (Account, bool) {
	for _, a := range p.Accounts {
		if a.ID == id {
			return a, true
		}
	}
	return Account{}, false
}

// ForAccount returns the part of the policy that concerns one account: "" for the home account,
// or the id of an accounts entry. The part is a policy of its own for that account, as a
// single-account policy would be written: its account is the member's id (its entries name no
// account of their own), its region the entry's
// (else the policy's), and it lists no accounts. Buckets and keys keep their positions.
func (p *Policy) ForAccount(id string) *Policy {
	q := *p
	q.Accounts = nil
	q.Keys = nil
	q.Buckets = nil
	if id != "" {
		a, _ := p.AccountByID(id)
		q.Account = id
		if a.Region != "" {
			q.Region = a.Region
		}
		q.TrustedAccounts = slices.DeleteFunc(slices.Clone(p.TrustedAccounts), func(t string) bool { return t == id })
	}
	// In the part, the account is the policy's own: entries name no account of their own.
	for _, k := range p.Keys {
		if k.Account == id {
			k.Account = ""
			q.Keys = append(q.Keys, k)
		}
	}
	for _, b := range p.Buckets {
		if b.Account == id {
			b.Account = ""
			q.Buckets = append(q.Buckets, b)
		}
	}
	return &q
}

// AccountIDs returns the accounts a run visits, in the order the report shows them: the home
// account ("") when any bucket is in it, then the listed accounts that hold a bucket.
func (p *Policy) AccountIDs() []string {
	has := map[string]bool{}
	for _, b := range p.Buckets {
		has[b.Account] = true
	}
	var out []string
	if has[""] {
		out = append(out, "")
	}
	for _, a := range p.Accounts {
		if has[a.ID] {
			out = append(out, a.ID)
		}
	}
	return out
}
