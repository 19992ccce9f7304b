package policy

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sseguard/sseguard/internal/suggest"
)

// checker walks the YAML tree along the policy schema, building the policy and collecting every
// problem. It only descends where the schema expects nesting, so a deeply nested value is one
// type error, never deep recursion.
type checker struct {
	path    string
	errs    Errors
	visits  int
	aborted bool
}

func (c *checker) errorf(n *yaml.Node, format string, args ...any) {
	if c.aborted {
		return
	}
	if len(c.errs) == maxErrors {
		c.errs = append(c.errs, &Error{Path: c.path, Line: n.Line, Column: n.Column, Message: fmt.Sprintf("more than %d problems; stopping here", maxErrors)})
		c.aborted = true
		return
	}
	c.errs = append(c.errs, &Error{Path: c.path, Line: n.Line, Column: n.Column, Message: fmt.Sprintf(format, args...)})
}

// deref follows aliases and counts the work, so that alias expansion bombs stop early.
func (c *checker) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	c.visits++
	if c.visits > maxVisits && !c.aborted {
		c.errorf(n, "policy has more than %d values, counting what anchors and aliases expand to; stopping here", maxVisits)
		c.aborted = true
	}
	return n
}

// field is one entry of a mapping: the key node (for "unknown field" and "repeated field"
// messages), the value as written (for positions) and the value with aliases resolved.
type field struct {
	key, at, val *yaml.Node
}

// describe names the kind of a node for "must be X, not Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "empty"
		case "!!timestamp":
			return "a timestamp"
		case "!!merge":
			return "a merge key (<<)"
		}
		return "a value tagged " + n.Tag
	}
	return "an alias"
}

// didYouMean is " (did you mean "x"?)" when typed is a near miss of one allowed field, else "".
func didYouMean(typed string, allowed []string) string {
	if s, ok := suggest.Closest(typed, allowed); ok {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// mapping returns the fields of a mapping node, reporting anything but a mapping, unknown and
// repeated keys. Merge keys (<<: *anchor) are resolved; keys written in the mapping win.
func (c *checker) mapping(at *yaml.Node, what string, allowed []string) (map[string]field, bool) {
	n := c.deref(at)
	if n.Kind != yaml.MappingNode {
		c.errorf(at, "%s must be a mapping of %s, not %s", what, strings.Join(allowed, ", "), describe(n))
		return nil, false
	}
	fields := map[string]field{}
	c.collect(n, what, allowed, fields, map[*yaml.Node]bool{n: true}, true)
	return fields, true
}

// collect adds the fields of mapping n that are not in fields yet. own is false for mappings
// merged in with <<; inside names the mappings being collected, to refuse merge cycles.
func (c *checker) collect(n *yaml.Node, what string, allowed []string, fields map[string]field, inside map[*yaml.Node]bool, own bool) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content) && !c.aborted; i += 2 {
		k, v := c.deref(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
			c.errorf(n.Content[i], "%s has a key that is %s; keys are field names: %s", what, describe(k), strings.Join(allowed, ", "))
			continue
		}
		if !contains(allowed, k.Value) {
			c.errorf(n.Content[i], "unknown field %q in %s%s; allowed: %s", k.Value, what, didYouMean(k.Value, allowed), strings.Join(allowed, ", "))
			continue
		}
		if prev, ok := fields[k.Value]; ok {
			if own {
				c.errorf(n.Content[i], "field %q is repeated (first at line %d)", k.Value, prev.key.Line)
			}
			continue
		}
		fields[k.Value] = field{key: n.Content[i], at: v, val: c.deref(v)}
	}
	for _, m := range merges {
		mv := c.deref(m)
		srcs := []*yaml.Node{m}
		if mv.Kind == yaml.SequenceNode {
			srcs = mv.Content
		}
		for _, s := range srcs {
			sv := c.deref(s)
			if sv.Kind != yaml.MappingNode {
				c.errorf(s, "<< must merge a mapping or a list of mappings, not %s", describe(sv))
				continue
			}
			if inside[sv] {
				c.errorf(s, "<< merges a mapping into itself")
				continue
			}
			inside[sv] = true
			c.collect(sv, what, allowed, fields, inside, false)
			delete(inside, sv)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// plainTags are the tags YAML gives unquoted scalars that are not strings.
var plainTags = []string{"!!int", "!!float", "!!bool", "!!timestamp"}

// entries returns the entries of a list field, or reports it with must (what the field must be, as
// "keys must be a list of ...") when it is not a list.
func (c *checker) entries(f field, must string) ([]*yaml.Node, bool) {
	if f.val.Kind != yaml.SequenceNode {
		c.errorf(f.at, "%s, not %s", must, describe(f.val))
		return nil, false
	}
	return f.val.Content, true
}

// str returns a string field's value, reporting any other kind of value.
func (c *checker) str(f field, name string) (string, bool) {
	n := f.val
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		return n.Value, true
	}
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		c.errorf(f.at, "%s is empty", name)
	case n.Kind == yaml.ScalarNode && n.Style&yaml.TaggedStyle == 0 && contains(plainTags, n.Tag):
		c.errorf(f.at, "%s must be a string, not %s; quote it: %q", name, describe(n), n.Value)
	default:
		c.errorf(f.at, "%s must be a string, not %s", name, describe(n))
	}
	return "", false
}

// boolean returns a boolean field's value. YAML 1.2 reads yes/no/on/off as strings, and a string
// is not accepted where a switch is meant.
func (c *checker) boolean(f field, name string) (bool, bool) {
	n := f.val
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		switch strings.ToLower(n.Value) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		switch strings.ToLower(n.Value) {
		case "yes", "y", "on", "true":
			c.errorf(f.at, "%s must be true or false, not the string %q; write %s: true", name, n.Value, name)
			return false, false
		case "no", "n", "off", "false":
			c.errorf(f.at, "%s must be true or false, not the string %q; write %s: false", name, n.Value, name)
			return false, false
		}
	}
	c.errorf(f.at, "%s must be true or false, not %s", name, describe(n))
	return false, false
}

// emptyList reports (with msg) a list field given as an empty list, where the field asks for at
// least one entry or none at all.
func (c *checker) emptyList(f field, msg string) bool {
	if f.val.Kind == yaml.SequenceNode && len(f.val.Content) == 0 {
		c.errorf(f.at, "%s", msg)
		return true
	}
	return false
}

// strList returns the well-formed entries of a list of non-empty, distinct strings, with their
// nodes, and whether every entry was well-formed.
func (c *checker) strList(f field, name string) ([]string, []*yaml.Node, bool) {
	n := f.val
	if n.Kind != yaml.SequenceNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
			c.errorf(f.at, "%s must be a list of strings, not a string; write %s: [%s]", name, name, n.Value)
		} else {
			c.errorf(f.at, "%s must be a list of strings, not %s", name, describe(n))
		}
		return nil, nil, false
	}
	ok := true
	out := make([]string, 0, len(n.Content))
	var nodes []*yaml.Node
	first := map[string]*yaml.Node{}
	for i, item := range n.Content {
		if c.aborted {
			return nil, nil, false
		}
		s, good := c.str(field{at: item, val: c.deref(item)}, fmt.Sprintf("%s[%d]", name, i))
		switch {
		case !good:
			ok = false
			continue
		case s == "":
			c.errorf(item, "%s[%d] is an empty string", name, i)
			ok = false
			continue
		}
		if prev, dup := first[s]; dup {
			c.errorf(item, "%s lists %q twice (first at line %d)", name, s, prev.Line)
			ok = false
			continue
		}
		first[s] = item
		out = append(out, s)
		nodes = append(nodes, item)
	}
	return out, nodes, ok
}
