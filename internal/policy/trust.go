package policy

import "fmt"

// trust is what validation knows of the accounts a principal may belong to: the policy's account
// (when set) and the accounts it trusts.
type trust struct {
	home    string
	trusted []string
	// members are the ids listed under accounts.
	members []string
}

// outside says why a principal of account acct may not be granted, or "" when it may: only the
// policy's account and the accounts it lists under trusted_accounts may be. Without an account
// the home account is only known at run time (the caller's), and the plan judges it.
func (t trust) outside(field, principal, acct string) string {
	if t.home == "" || acct == t.home || contains(t.trusted, acct) {
		return ""
	}
	return fmt.Sprintf("%s %q is in account %s, but the policy's account is %s; list %s under trusted_accounts if it may be granted access to your keys",
		field, principal, acct, t.home, acct)
}

// trustedAccounts checks the list of accounts whose principals may be granted access.
func (c *checker) trustedAccounts(f field, home string) []string {
	// strList reports entries that are not strings (an unquoted account id is a number to YAML).
	list, nodes, _ := c.strList(f, "trusted_accounts")
	var out []string
	for i, s := range list {
		n := nodes[i]
		switch {
		case !accountRE.MatchString(s):
			c.errorf(n, "trusted_accounts entry %q must be 12 digits", s)
			continue
		case s == home:
			c.errorf(n, "trusted_accounts entry %s is the policy's own account; list other accounts only", s)
			continue
		}
		out = append(out, s)
	}
	return out
}
