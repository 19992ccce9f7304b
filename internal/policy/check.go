package policy

import "gopkg.in/yaml.v3"

// topFields are the fields of the policy's top-level mapping.
var topFields = []string{"version", "account", "trusted_accounts", "region", "keys", "buckets", "unmanaged_buckets", "accounts"}

// policy checks the top-level mapping.
func (c *checker) policy(root *yaml.Node) *Policy {
	p := &Policy{Path: c.path}
	fs, ok := c.mapping(root, "policy", topFields)
	if !ok {
		return p
	}
	if f, ok := fs["version"]; !ok {
		c.errorf(root, "version is missing; add version: 1")
	} else if n := f.val; n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		if n.Value != "1" {
			c.errorf(f.at, "unsupported version %s; this sseguard reads version 1", n.Value)
		}
		p.Version = 1
	} else {
		c.errorf(f.at, "version must be the number 1, not %s", describe(n))
	}
	if f, ok := fs["account"]; ok {
		n := f.val
		switch {
		case n.Kind == yaml.ScalarNode && n.Tag == "!!str" && accountRE.MatchString(n.Value):
			p.Account = n.Value
		case n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float"):
			c.errorf(f.at, "account must be a quoted string of 12 digits: unquoted, YAML reads it as a number (and drops leading zeros); write account: \"%s\"", n.Value)
		case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
			c.errorf(f.at, "account %q must be 12 digits", n.Value)
		default:
			c.errorf(f.at, "account must be a quoted string of 12 digits, not %s", describe(n))
		}
	}
	if f, ok := fs["trusted_accounts"]; ok {
		p.TrustedAccounts = c.trustedAccounts(f, p.Account)
	}
	if f, ok := fs["region"]; ok {
		p.Region, _ = c.region(f, "region")
	}
	if f, ok := fs["accounts"]; ok {
		p.Accounts = c.accounts(f, p.Account)
	}
	tr := trust{home: p.Account, trusted: p.TrustedAccounts}
	for _, a := range p.Accounts {
		tr.members = append(tr.members, a.ID)
	}
	keys := map[string]*Key{}
	if f, ok := fs["keys"]; ok {
		p.Keys = c.keys(f, tr, keys)
	}
	if f, ok := fs["unmanaged_buckets"]; ok {
		p.Unmanaged = c.unmanaged(f)
	}
	if f, ok := fs["buckets"]; !ok {
		c.errorf(root, "buckets is missing; list the buckets to keep encrypted")
	} else {
		p.Buckets = c.buckets(f, tr, keys)
	}
	return p
}

// region checks a region field (the policy's, a key's or a bucket's).
func (c *checker) region(f field, name string) (string, bool) {
	s, ok := c.str(f, name)
	if !ok {
		return "", false
	}
	if p := RegionProblem(s); p != "" {
		c.errorf(f.at, "%s %s", name, p)
		return "", false
	}
	return s, true
}
