package iampolicy

import (
	"fmt"
	"sort"
	"strings"
)

// Merge returns existing with its sseguard-owned statements (Sid starting with SidPrefix) replaced
// by owned. Every other statement is kept, in order and with its original JSON, so the account's
// own access (the root statement) is never removed by sseguard. The owned statements go after the
// kept ones. A nil existing means "no policy yet". Each statement in owned must carry SidPrefix,
// or a later Merge would keep it and add it again.
//
// The document keeps its Version and Id as found: a policy read without a Version is written back
// without one. AWS reads a policy without Version as 2008-10-17, where "${...}" is literal text, and
// as 2012-10-17 it would turn such text in others' statements into policy variables ("IAM JSON
// policy elements: Version",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html).
// A policy written from scratch (existing nil) gets Version2012. sseguard's own statements use no
// policy variables, so they mean the same under either version.
func Merge(existing *Document, owned []Statement) *Document {
	out := &Document{Version: Version2012}
	if existing != nil {
		out.Version, out.ID = existing.Version, existing.ID
		for _, s := range existing.Statements {
			if !s.Owned() {
				out.Statements = append(out.Statements, s)
			}
		}
	}
	out.Statements = append(out.Statements, owned...)
	return out
}

// ChangeKind says what happens to a statement.
type ChangeKind string

// The kinds of statement change.
const (
	StatementAdded    ChangeKind = "added"
	StatementReplaced ChangeKind = "replaced"
	StatementRemoved  ChangeKind = "removed"
)

// StatementChange is one statement-level difference between two policies, for a plan.
type StatementChange struct {
	Sid   string
	Kind  ChangeKind
	Owned bool
	// Summary says in words what changes, e.g. "arn:...:role/T gains kms:Decrypt, kms:Encrypt".
	Summary []string
}

// Diff compares two documents statement by statement, pairing statements by Sid (statements
// without a Sid by their content). A nil document has no statements.
func Diff(before, after *Document) []StatementChange {
	type entry struct {
		key string
		s   Statement
	}
	index := func(d *Document) []entry {
		var out []entry
		if d == nil {
			return out
		}
		seen := map[string]int{}
		for _, s := range d.Statements {
			k := "sid:" + s.Sid
			if s.Sid == "" {
				k = "text:" + canonical(s)
			}
			seen[k]++
			out = append(out, entry{fmt.Sprintf("%s#%d", k, seen[k]), s})
		}
		return out
	}
	b, a := index(before), index(after)
	bm := map[string]Statement{}
	for _, e := range b {
		bm[e.key] = e.s
	}
	am := map[string]bool{}
	var changes []StatementChange
	for _, e := range a {
		am[e.key] = true
		old, ok := bm[e.key]
		switch {
		case !ok:
			changes = append(changes, StatementChange{Sid: e.s.Sid, Kind: StatementAdded, Owned: e.s.Owned(), Summary: summarize(nil, &e.s)})
		case canonical(old) != canonical(e.s):
			changes = append(changes, StatementChange{Sid: e.s.Sid, Kind: StatementReplaced, Owned: e.s.Owned(), Summary: summarize(&old, &e.s)})
		}
	}
	for _, e := range b {
		if !am[e.key] {
			changes = append(changes, StatementChange{Sid: e.s.Sid, Kind: StatementRemoved, Owned: e.s.Owned(), Summary: summarize(&e.s, nil)})
		}
	}
	return changes
}

// grants returns, per principal label, the action labels a statement covers.
func grants(s *Statement) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	if s == nil {
		return out
	}
	var principals []string
	switch {
	case s.Principal != nil:
		principals = s.Principal.labels()
	case s.NotPrincipal != nil:
		principals = []string{"everyone except " + strings.Join(s.NotPrincipal.labels(), ", ")}
	}
	actions := s.Action
	if s.NotAction != nil {
		actions = []string{"every action except " + strings.Join(s.NotAction, ", ")}
	}
	for _, p := range principals {
		if out[p] == nil {
			out[p] = map[string]bool{}
		}
		for _, a := range actions {
			out[p][a] = true
		}
	}
	return out
}

func (p *Principal) labels() []string {
	if p.Wildcard {
		return []string{"*"}
	}
	var out []string
	out = append(out, p.AWS...)
	out = append(out, p.Service...)
	out = append(out, p.Federated...)
	out = append(out, p.CanonicalUser...)
	return out
}

// summarize describes the change from old to new (either may be nil) in words.
func summarize(old, new *Statement) []string {
	gain, lose := "gains", "loses"
	if (new != nil && new.Effect == EffectDeny) || (new == nil && old != nil && old.Effect == EffectDeny) {
		gain, lose = "is denied", "is no longer denied"
	}
	if old != nil && new != nil && old.Effect != new.Effect {
		return []string{fmt.Sprintf("effect changes from %s to %s: %s", old.Effect, new.Effect, describe(new))}
	}
	og, ng := grants(old), grants(new)
	var lines []string
	principals := map[string]bool{}
	for p := range og {
		principals[p] = true
	}
	for p := range ng {
		principals[p] = true
	}
	for _, p := range sortedKeys(principals) {
		var added, removed []string
		for a := range ng[p] {
			if !og[p][a] {
				added = append(added, a)
			}
		}
		for a := range og[p] {
			if !ng[p][a] {
				removed = append(removed, a)
			}
		}
		sort.Strings(added)
		sort.Strings(removed)
		if len(added) > 0 {
			lines = append(lines, fmt.Sprintf("principal %s %s %s%s", p, gain, strings.Join(added, ", "), scope(new)))
		}
		if len(removed) > 0 {
			lines = append(lines, fmt.Sprintf("principal %s %s %s", p, lose, strings.Join(removed, ", ")))
		}
	}
	if old != nil && new != nil {
		if r1, r2 := resourceText(old), resourceText(new); r1 != r2 {
			lines = append(lines, fmt.Sprintf("resources change from %s to %s", r1, r2))
		}
		if c1, c2 := conditionText(old.Condition), conditionText(new.Condition); c1 != c2 {
			lines = append(lines, fmt.Sprintf("conditions change from %s to %s", orNone(c1), orNone(c2)))
		}
	}
	if len(lines) == 0 && old != nil && new != nil {
		lines = append(lines, "rewritten with the same meaning")
	}
	return lines
}

func describe(s *Statement) string {
	var parts []string
	for p, acts := range grants(s) {
		parts = append(parts, fmt.Sprintf("%s: %s", p, strings.Join(sortedKeys(acts), ", ")))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ") + scope(s)
}

// scope renders " on <resources> when <conditions>" for a statement, leaving out Resource "*".
func scope(s *Statement) string {
	if s == nil {
		return ""
	}
	out := ""
	if r := resourceText(s); r != "*" {
		out += " on " + r
	}
	if c := conditionText(s.Condition); c != "" {
		out += " when " + c
	}
	return out
}

func resourceText(s *Statement) string {
	if s.NotResource != nil {
		return "everything except " + strings.Join(s.NotResource, ", ")
	}
	return strings.Join(s.Resource, ", ")
}

func conditionText(c map[string]map[string][]string) string {
	var parts []string
	for op, keys := range c {
		for k, v := range keys {
			parts = append(parts, fmt.Sprintf("%s %s %s", op, k, strings.Join(v, "|")))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " and ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
