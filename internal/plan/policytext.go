package plan

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// shortList renders at most n values, then how many more.
func shortList(vs []string, n int) string {
	if len(vs) <= n {
		return strings.Join(vs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(vs[:n], ", "), len(vs)-n)
}

// displayPlaceholders spells the placeholders of a key created in the same apply as words, for
// people; documents keep the placeholders, which apply fills in.
var displayPlaceholders = strings.NewReplacer(
	KeyARNPlaceholder, "(the new key's ARN, known after apply)",
	KeyIDPlaceholder, "(the new key's id, known after apply)",
)

func diffText(changes []iampolicy.StatementChange) []string {
	var out []string
	for _, c := range changes {
		head := fmt.Sprintf("%s statement %s", c.Kind, c.Sid)
		if len(c.Summary) == 0 {
			out = append(out, head)
			continue
		}
		for _, s := range c.Summary {
			out = append(out, displayPlaceholders.Replace(head+": "+s))
		}
	}
	return out
}

// deletedText names the statements holding deleted principals.
func deletedText(what string, gone []iampolicy.DeletedPrincipal) string {
	var parts []string
	for _, g := range gone {
		parts = append(parts, fmt.Sprintf("statement %s names %s in %s", g.Statement, g.Value, g.Element))
	}
	return fmt.Sprintf("the %s names a principal that was deleted (%s): AWS refuses to store any rewrite of it until that statement is fixed or removed; sseguard leaves it as it is",
		what, strings.Join(parts, "; "))
}

// grantsOf lists a document's statements as who may (or may not) do what.
func grantsOf(d *iampolicy.Document) []Grant {
	var out []Grant
	for _, g := range d.Grants() {
		pg := Grant{Sid: g.Statement.Sid, Effect: g.Effect, Actions: g.Actions}
		for _, p := range g.Principals {
			pg.Principals = append(pg.Principals, p.Value)
		}
		if len(g.NotPrincipals) > 0 {
			var not []string
			for _, p := range g.NotPrincipals {
				not = append(not, p.Value)
			}
			pg.Principals = []string{"everyone except " + strings.Join(not, ", ")}
		}
		if len(g.NotActions) > 0 {
			pg.Actions = []string{"every action except " + strings.Join(g.NotActions, ", ")}
		}
		for _, c := range g.Conditions {
			pg.Conditions = append(pg.Conditions, c.Operator+" "+c.Key+" "+strings.Join(c.Values, "|"))
		}
		out = append(out, pg)
	}
	return out
}
