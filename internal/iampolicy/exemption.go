package iampolicy

import (
	"fmt"
	"sort"
	"strings"
)

// enforcementKeys are the condition keys a bucket policy Deny may test and still count as
// enforcing upload encryption or TLS for everyone: they describe the request's encryption headers
// and transport, not who sends it.
var enforcementKeys = map[string]bool{
	strings.ToLower(KeySSEHeader):         true,
	strings.ToLower(KeySSEKMSKeyIDHeader): true,
	strings.ToLower(KeySecureTransport):   true,
}

// exemptions lists what a Deny statement leaves out of the protection probed by p: principals it
// does not apply to, conditions beyond the encryption headers and transport, resources of the
// bucket it does not cover. An empty list means the statement applies to everyone and everything
// the protection is about.
func (s Statement) exemptions(spec BucketSpec, p probe) []string {
	var out []string
	switch {
	case s.NotPrincipal != nil:
		out = append(out, "exempts the principals listed in NotPrincipal: "+strings.Join(s.NotPrincipal.labels(), ", "))
	case s.Principal != nil && !s.Principal.everyone():
		out = append(out, "applies only to "+strings.Join(s.Principal.labels(), ", "))
	}
	var conds []string
	for op, keys := range s.Condition {
		for k, v := range keys {
			if !enforcementKeys[strings.ToLower(k)] {
				conds = append(conds, fmt.Sprintf("%s %s %s", op, k, strings.Join(v, "|")))
			}
		}
	}
	if len(conds) > 0 {
		sort.Strings(conds)
		out = append(out, "applies only when "+strings.Join(conds, " and ")+" (requests that do not meet it are exempt)")
	}
	// The statement must cover every object (or the bucket itself, for bucket-level actions): one
	// of its Resource patterns must match the pattern of all objects, taken as text.
	whole := spec.objectsARN()
	if p.resource == spec.bucketARN() {
		whole = spec.bucketARN()
	}
	switch {
	case s.NotResource != nil:
		out = append(out, "exempts the resources listed in NotResource: "+strings.Join(s.NotResource, ", "))
	case s.Resource != nil && !anyGlob(s.Resource, whole, false):
		out = append(out, "covers only "+strings.Join(s.Resource, ", ")+", not "+whole)
	}
	return out
}

// everyone reports whether the element is "*" or {"AWS": "*"}.
func (p *Principal) everyone() bool {
	if p.Wildcard {
		return true
	}
	for _, v := range p.AWS {
		if v == "*" {
			return true
		}
	}
	return false
}

// partialDeniers returns the Deny statements that would refuse the probe if they applied to
// everyone, under the encryption-header and transport conditions alone, on the whole bucket, but
// that do not: each with what it leaves out. They are what a plan names when it says a statement
// "exempts" someone.
func (c *checker) partialDeniers(spec BucketSpec, p probe, caller string) []Exemption {
	if c.doc == nil {
		return nil
	}
	var out []Exemption
	for i, s := range c.doc.Statements {
		if s.Effect != EffectDeny {
			continue
		}
		reasons := s.exemptions(spec, p)
		if len(reasons) == 0 {
			continue
		}
		relaxed := Statement{Effect: EffectDeny, Principal: &Principal{Wildcard: true},
			Action: s.Action, NotAction: s.NotAction, Resource: []string{"*"}}
		for op, keys := range s.Condition {
			for k, v := range keys {
				if enforcementKeys[strings.ToLower(k)] {
					if relaxed.Condition == nil {
						relaxed.Condition = map[string]map[string][]string{}
					}
					if relaxed.Condition[op] == nil {
						relaxed.Condition[op] = map[string][]string{}
					}
					relaxed.Condition[op][k] = v
				}
			}
		}
		one := &Document{Version: c.doc.Version, Statements: []Statement{relaxed}}
		if one.Explain(p.request(caller), EvalOptions{}).DenyIsCertain() {
			out = append(out, Exemption{Statement: StatementRef{Index: i, Sid: s.Sid}, Reasons: reasons})
		}
	}
	return out
}
