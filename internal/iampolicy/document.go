// Package iampolicy models and evaluates IAM policy documents as AWS uses them for resource
// policies: KMS key policies and S3 bucket policies.
//
// It parses a policy (keeping each statement's original JSON, so statements sseguard does not own
// are written back unchanged), evaluates requests following AWS's documented logic (explicit Deny
// wins, then any Allow, else implicit deny; condition operators with AWS's rules for absent keys),
// builds the statements sseguard owns, merges them into an existing policy by Sid, and checks a
// policy semantically: by evaluating representative requests and by reasoning over each
// statement's principals and conditions, never by searching its text.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Version2012 is the current IAM policy language version; sseguard writes it in new documents.
const Version2012 = "2012-10-17"

// version2008 is the legacy policy language version (no policy variables).
const version2008 = "2008-10-17"

// Effect values.
const (
	EffectAllow = "Allow"
	EffectDeny  = "Deny"
)

// Document is a parsed IAM policy document.
type Document struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy document. Each list field holds the element's values,
// whether the JSON gave a single string or a list. Fields left nil were absent.
//
// A statement read by Parse keeps its original JSON: as long as its fields are not changed, JSON
// writes that text back (re-indented) rather than a re-rendering.
type Statement struct {
	Sid          string
	Effect       string
	Principal    *Principal
	NotPrincipal *Principal
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Condition maps an operator (e.g. "StringEquals", "ForAnyValue:StringLike") to condition
	// keys and their values. Booleans and numbers are kept as their JSON text ("true", "1.5").
	Condition map[string]map[string][]string

	raw         json.RawMessage // the statement as parsed, byte for byte
	fingerprint string          // canonical rendering of the fields at parse time
}

// Principal is the value of a Principal or NotPrincipal element.
type Principal struct {
	// Wildcard is true for "Principal": "*". {"AWS": "*"} is kept as AWS: ["*"]; both match anyone.
	Wildcard      bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Parse reads a policy document. It accepts what AWS accepts for resource policies (Statement as
// one object or a list; Principal, Action and Resource values as a string or a list; condition
// values as strings, booleans or numbers) and reports the first structural problem clearly.
func Parse(src string) (*Document, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(src), &top); err != nil {
		return nil, fmt.Errorf("policy is not a JSON object: %w", err)
	}
	if top == nil {
		return nil, errors.New("policy is not a JSON object: null")
	}
	d := &Document{}
	for k, v := range top {
		switch k {
		case "Version":
			if err := json.Unmarshal(v, &d.Version); err != nil {
				return nil, errors.New("policy Version must be a string")
			}
			if d.Version != Version2012 && d.Version != version2008 {
				return nil, fmt.Errorf("policy Version %q is not %q or %q", d.Version, Version2012, version2008)
			}
		case "Id":
			if err := json.Unmarshal(v, &d.ID); err != nil {
				return nil, errors.New("policy Id must be a string")
			}
		case "Statement":
		default:
			return nil, fmt.Errorf("policy has unknown element %q", k)
		}
	}
	st, ok := top["Statement"]
	if !ok {
		return nil, errors.New("policy has no Statement")
	}
	var raws []json.RawMessage
	switch firstByte(st) {
	case '{':
		raws = []json.RawMessage{st}
	case '[':
		if err := json.Unmarshal(st, &raws); err != nil {
			return nil, fmt.Errorf("policy Statement: %w", err)
		}
	default:
		return nil, errors.New("policy Statement must be an object or a list of objects")
	}
	for i, r := range raws {
		s, err := parseStatement(r)
		if err != nil {
			return nil, fmt.Errorf("statement %d%s: %w", i+1, sidNote(r), err)
		}
		d.Statements = append(d.Statements, s)
	}
	return d, nil
}

// sidNote returns ` ("Sid")` for a raw statement that has a string Sid, for error messages.
func sidNote(r json.RawMessage) string {
	var s struct{ Sid any }
	if json.Unmarshal(r, &s) == nil {
		if sid, ok := s.Sid.(string); ok && sid != "" {
			return fmt.Sprintf(" (%q)", sid)
		}
	}
	return ""
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func parseStatement(r json.RawMessage) (Statement, error) {
	var m map[string]json.RawMessage
	if firstByte(r) != '{' {
		return Statement{}, errors.New("not a JSON object")
	}
	if err := json.Unmarshal(r, &m); err != nil {
		return Statement{}, err
	}
	var s Statement
	var err error
	for k, v := range m {
		switch k {
		case "Sid":
			if json.Unmarshal(v, &s.Sid) != nil {
				return s, errors.New("Sid must be a string")
			}
		case "Effect":
			if json.Unmarshal(v, &s.Effect) != nil {
				return s, errors.New("Effect must be a string")
			}
		case "Principal":
			s.Principal, err = parsePrincipal(k, v)
		case "NotPrincipal":
			s.NotPrincipal, err = parsePrincipal(k, v)
		case "Action":
			s.Action, err = parseStrings(k, v)
		case "NotAction":
			s.NotAction, err = parseStrings(k, v)
		case "Resource":
			s.Resource, err = parseStrings(k, v)
		case "NotResource":
			s.NotResource, err = parseStrings(k, v)
		case "Condition":
			s.Condition, err = parseCondition(v)
		default:
			return s, fmt.Errorf("unknown element %q", k)
		}
		if err != nil {
			return s, err
		}
	}
	switch {
	case s.Effect == "":
		return s, errors.New("Effect is missing")
	case s.Effect != EffectAllow && s.Effect != EffectDeny:
		return s, fmt.Errorf("Effect %q is not %q or %q", s.Effect, EffectAllow, EffectDeny)
	case s.Principal == nil && s.NotPrincipal == nil:
		return s, errors.New("Principal (or NotPrincipal) is missing: required in a resource policy")
	case s.Principal != nil && s.NotPrincipal != nil:
		return s, errors.New("both Principal and NotPrincipal are given")
	case s.Action == nil && s.NotAction == nil:
		return s, errors.New("Action (or NotAction) is missing")
	case s.Action != nil && s.NotAction != nil:
		return s, errors.New("both Action and NotAction are given")
	case s.Resource == nil && s.NotResource == nil:
		return s, errors.New("Resource (or NotResource) is missing")
	case s.Resource != nil && s.NotResource != nil:
		return s, errors.New("both Resource and NotResource are given")
	}
	s.raw = append(json.RawMessage(nil), bytes.TrimSpace(r)...)
	s.fingerprint = canonical(s)
	return s, nil
}

func parseStrings(name string, v json.RawMessage) ([]string, error) {
	var one string
	if json.Unmarshal(v, &one) == nil {
		if one == "" {
			return nil, fmt.Errorf("%s is an empty string", name)
		}
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil || list == nil {
		return nil, fmt.Errorf("%s must be a string or a list of strings", name)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s is an empty list", name)
	}
	for _, s := range list {
		if s == "" {
			return nil, fmt.Errorf("%s holds an empty string", name)
		}
	}
	return list, nil
}

func parsePrincipal(name string, v json.RawMessage) (*Principal, error) {
	var one string
	if json.Unmarshal(v, &one) == nil {
		if one != "*" {
			return nil, fmt.Errorf("%s as a plain string must be \"*\", got %q (use {\"AWS\": ...})", name, one)
		}
		return &Principal{Wildcard: true}, nil
	}
	var m map[string]json.RawMessage
	if firstByte(v) != '{' || json.Unmarshal(v, &m) != nil {
		return nil, fmt.Errorf("%s must be \"*\" or an object such as {\"AWS\": [...]}", name)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%s is an empty object", name)
	}
	p := &Principal{}
	for k, raw := range m {
		vals, err := parseStrings(name+"."+k, raw)
		if err != nil {
			return nil, err
		}
		switch k {
		case "AWS":
			p.AWS = vals
		case "Service":
			p.Service = vals
		case "Federated":
			p.Federated = vals
		case "CanonicalUser":
			p.CanonicalUser = vals
		default:
			return nil, fmt.Errorf("%s has unknown principal type %q", name, k)
		}
	}
	return p, nil
}

func parseCondition(v json.RawMessage) (map[string]map[string][]string, error) {
	var ops map[string]json.RawMessage
	if firstByte(v) != '{' || json.Unmarshal(v, &ops) != nil {
		return nil, errors.New("Condition must be an object of operators")
	}
	out := make(map[string]map[string][]string, len(ops))
	for op, raw := range ops {
		var keys map[string]json.RawMessage
		if firstByte(raw) != '{' || json.Unmarshal(raw, &keys) != nil {
			return nil, fmt.Errorf("Condition operator %q must map condition keys to values", op)
		}
		km := make(map[string][]string, len(keys))
		for k, kv := range keys {
			vals, err := parseConditionValues(kv)
			if err != nil {
				return nil, fmt.Errorf("Condition %s %q: %w", op, k, err)
			}
			km[k] = vals
		}
		out[op] = km
	}
	return out, nil
}

func parseConditionValues(v json.RawMessage) ([]string, error) {
	if firstByte(v) == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(list))
		for _, e := range list {
			s, err := scalar(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func scalar(v json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return "", err
	}
	switch t := x.(type) {
	case string:
		return t, nil
	case bool:
		if t {
			return "true", nil
		}
		return "false", nil
	case json.Number:
		return t.String(), nil
	}
	return "", errors.New("value must be a string, boolean or number")
}

// JSON renders the document, indented by two spaces. Version and Id are written when set. Statements read by Parse and left unchanged
// are written from their original text (same key order, same spelling of values); others are
// rendered with a fixed element order and sorted condition keys, so the output is stable.
func (d *Document) JSON() (string, error) {
	if d == nil {
		return "", errors.New("no policy document")
	}
	var b bytes.Buffer
	b.WriteString("{\n")
	// A document read without Version is written back without one (see Merge).
	if d.Version != "" {
		writeField(&b, "  ", "Version", d.Version, true)
	}
	if d.ID != "" {
		writeField(&b, "  ", "Id", d.ID, true)
	}
	b.WriteString("  \"Statement\": [")
	for i, s := range d.Statements {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n    ")
		text, err := s.render()
		if err != nil {
			return "", fmt.Errorf("statement %d: %w", i+1, err)
		}
		var ind bytes.Buffer
		if err := json.Indent(&ind, text, "    ", "  "); err != nil {
			return "", fmt.Errorf("statement %d: %w", i+1, err)
		}
		b.Write(ind.Bytes())
	}
	if len(d.Statements) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]\n}\n")
	return b.String(), nil
}

func writeField(b *bytes.Buffer, indent, k, v string, comma bool) {
	kb, _ := json.Marshal(k)
	vb, _ := json.Marshal(v)
	b.WriteString(indent)
	b.Write(kb)
	b.WriteString(": ")
	b.Write(vb)
	if comma {
		b.WriteString(",")
	}
	b.WriteString("\n")
}

// render returns the statement's compact JSON: the original text when unchanged since Parse.
func (s Statement) render() ([]byte, error) {
	if s.raw != nil && canonical(s) == s.fingerprint {
		var c bytes.Buffer
		if err := json.Compact(&c, s.raw); err != nil {
			return nil, err
		}
		return c.Bytes(), nil
	}
	return []byte(canonical(s)), nil
}

// canonical renders the statement's fields as compact JSON with a fixed element order. It is
// also the statement's identity for comparisons.
func canonical(s Statement) string {
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	field := func(k string, v any) {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	if s.Sid != "" {
		field("Sid", s.Sid)
	}
	field("Effect", s.Effect)
	if s.Principal != nil {
		field("Principal", s.Principal.jsonValue())
	}
	if s.NotPrincipal != nil {
		field("NotPrincipal", s.NotPrincipal.jsonValue())
	}
	for _, e := range []struct {
		k string
		v []string
	}{{"Action", s.Action}, {"NotAction", s.NotAction}, {"Resource", s.Resource}, {"NotResource", s.NotResource}} {
		if e.v != nil {
			field(e.k, oneOrList(e.v))
		}
	}
	if s.Condition != nil {
		cond := make(map[string]map[string]any, len(s.Condition))
		for op, keys := range s.Condition {
			km := make(map[string]any, len(keys))
			for k, v := range keys {
				km[k] = oneOrList(v)
			}
			cond[op] = km
		}
		field("Condition", cond) // encoding/json sorts map keys
	}
	b.WriteByte('}')
	return b.String()
}

func oneOrList(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

func (p *Principal) jsonValue() any {
	if p.Wildcard {
		return "*"
	}
	m := map[string]any{}
	for _, e := range []struct {
		k string
		v []string
	}{{"AWS", p.AWS}, {"Service", p.Service}, {"Federated", p.Federated}, {"CanonicalUser", p.CanonicalUser}} {
		if e.v != nil {
			m[e.k] = oneOrList(e.v)
		}
	}
	return m
}

// Owned reports whether sseguard owns the statement: its Sid starts with SidPrefix.
func (s Statement) Owned() bool {
	return strings.HasPrefix(s.Sid, SidPrefix)
}

// sortedUnique returns the non-empty values sorted and without duplicates.
func sortedUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in {
		v = strings.TrimSpace(v)
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
