package iampolicy

import "sort"

// Grant is one statement of a document as structured data, for a plan that shows every grant of a
// policy (a new key's whole policy included): who, what, on which resources, under which
// conditions. Diff(nil, doc) says the same in words ("principal X gains a, b when ..."), one
// StatementChange per statement.
type Grant struct {
	Statement StatementRef
	// Effect is EffectAllow or EffectDeny: Deny statements are listed too, so the plan shows the
	// whole policy (e.g. administrators denied deleting the key).
	Effect string
	// Principals are the principals the statement applies to; NotPrincipals, when set, are the
	// ones it applies to everyone but. "*" is written as one PrincipalValue of Type "*".
	Principals    []PrincipalValue
	NotPrincipals []PrincipalValue
	// Actions (or NotActions: every action but these), as written.
	Actions    []string
	NotActions []string
	// Resources (or NotResources), as written.
	Resources    []string
	NotResources []string
	// Conditions are the statement's condition clauses, sorted; all must hold.
	Conditions []ConditionClause
}

// PrincipalValue is one principal of a Principal or NotPrincipal element.
type PrincipalValue struct {
	// Type is "*", "AWS", "Service", "Federated" or "CanonicalUser".
	Type  string
	Value string
}

// ConditionClause is one operator, key and its values (ORed) from a Condition element.
type ConditionClause struct {
	Operator string
	Key      string
	Values   []string
}

// Grants lists every statement of the document, in order, as a Grant. A nil document has none.
func (d *Document) Grants() []Grant {
	if d == nil {
		return nil
	}
	out := make([]Grant, 0, len(d.Statements))
	for i, s := range d.Statements {
		g := Grant{
			Statement: StatementRef{Index: i, Sid: s.Sid}, Effect: s.Effect,
			Principals: s.Principal.values(), NotPrincipals: s.NotPrincipal.values(),
			Actions: clone(s.Action), NotActions: clone(s.NotAction),
			Resources: clone(s.Resource), NotResources: clone(s.NotResource),
		}
		for op, keys := range s.Condition {
			for k, v := range keys {
				g.Conditions = append(g.Conditions, ConditionClause{Operator: op, Key: k, Values: clone(v)})
			}
		}
		sort.Slice(g.Conditions, func(a, b int) bool {
			x, y := g.Conditions[a], g.Conditions[b]
			if x.Operator != y.Operator {
				return x.Operator < y.Operator
			}
			return x.Key < y.Key
		})
		out = append(out, g)
	}
	return out
}

func (p *Principal) values() []PrincipalValue {
	if p == nil {
		return nil
	}
	if p.Wildcard {
		return []PrincipalValue{{Type: "*", Value: "*"}}
	}
	var out []PrincipalValue
	for _, e := range []struct {
		t string
		v []string
	}{{"AWS", p.AWS}, {"Service", p.Service}, {"Federated", p.Federated}, {"CanonicalUser", p.CanonicalUser}} {
		for _, v := range e.v {
			out = append(out, PrincipalValue{Type: e.t, Value: v})
		}
	}
	return out
}

func clone(in []string) []string {
	if in == nil {
		return nil
	}
	return append([]string(nil), in...)
}
