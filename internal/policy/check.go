package policy

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
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
			c.errorf(n.Content[i], "unknown field %q in %s; allowed: %s", k.Value, what, strings.Join(allowed, ", "))
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

var (
	topFields    = []string{"version", "account", "trusted_accounts", "region", "keys", "buckets"}
	keyFields    = []string{"alias", "region", "description", "tags", "rotation", "administrators", "allow_admin_delete"}
	bucketFields = []string{"name", "region", "encryption", "kms_key", "transcoder_principal", "bucket_key", "enforce_on_upload", "require_tls", "existing_objects", "prefixes"}
)

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
	tr := trust{home: p.Account, trusted: p.TrustedAccounts}
	keys := map[string]*Key{}
	if f, ok := fs["keys"]; ok {
		p.Keys = c.keys(f, tr, keys)
	}
	if f, ok := fs["buckets"]; !ok {
		c.errorf(root, "buckets is missing; list the buckets to keep encrypted")
	} else {
		p.Buckets = c.buckets(f, tr, keys)
	}
	return p
}

// trust is what validation knows of the accounts a principal may belong to: the policy's account
// (when set) and the accounts it trusts.
type trust struct {
	home    string
	trusted []string
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

func (c *checker) region(f field, name string) (string, bool) {
	s, ok := c.str(f, name)
	if !ok {
		return "", false
	}
	if p := regionProblem(s); p != "" {
		c.errorf(f.at, "%s %s", name, p)
		return "", false
	}
	return s, true
}

// keys checks the keys list and fills byAlias with the first entry of each alias.
func (c *checker) keys(f field, tr trust, byAlias map[string]*Key) []Key {
	if f.val.Kind != yaml.SequenceNode {
		c.errorf(f.at, "keys must be a list of key entries (- alias: alias/NAME ...), not %s", describe(f.val))
		return nil
	}
	out := make([]Key, 0, len(f.val.Content))
	lines := map[string]int{}
	for _, item := range f.val.Content {
		if c.aborted {
			break
		}
		k, ok := c.key(item, tr)
		if !ok {
			continue
		}
		if line, dup := lines[k.Alias]; dup {
			c.errorf(item, "key %s is listed twice (first at line %d)", k.Alias, line)
			continue
		}
		lines[k.Alias] = k.Pos.Line
		out = append(out, k)
	}
	for i := range out {
		byAlias[out[i].Alias] = &out[i]
	}
	return out
}

func (c *checker) key(item *yaml.Node, tr trust) (Key, bool) {
	k := Key{Rotation: true, Pos: Pos{Line: item.Line, Column: item.Column}}
	fs, ok := c.mapping(item, "key entry", keyFields)
	if !ok {
		return k, false
	}
	if f, ok := fs["alias"]; !ok {
		c.errorf(item, "key entry has no alias")
	} else if s, good := c.str(f, "alias"); good {
		if a, ok := strings.CutPrefix(s, "arn:"); ok {
			name := "NAME"
			if i := strings.Index(a, ":alias/"); i >= 0 {
				name = a[i+len(":alias/"):]
			}
			c.errorf(f.at, "alias %q is an ARN; keys name the alias alone (alias/%s)", s, name)
		} else if p := aliasProblem(s); p != "" {
			c.errorf(f.at, "%s", p)
		} else {
			k.Alias = s
		}
	}
	if f, ok := fs["region"]; ok {
		k.Region, _ = c.region(f, "region")
	}
	if f, ok := fs["description"]; ok {
		if s, good := c.str(f, "description"); good {
			if n := utf8.RuneCountInString(s); n > maxDescriptionLen {
				c.errorf(f.at, "description is %d characters long; KMS allows at most %d", n, maxDescriptionLen)
			}
			k.Description = s
		}
	}
	if f, ok := fs["tags"]; ok {
		k.Tags = c.tags(f)
	}
	if f, ok := fs["rotation"]; ok {
		if b, good := c.boolean(f, "rotation"); good {
			k.Rotation = b
		}
	}
	if f, ok := fs["administrators"]; ok {
		list, nodes, _ := c.strList(f, "administrators")
		for i, s := range list {
			acct, p := parsePrincipal("administrators entry", s, true)
			switch {
			case p != "":
				c.errorf(nodes[i], "%s", p)
			default:
				if why := tr.outside("administrators entry", s, acct); why != "" {
					c.errorf(nodes[i], "%s", why)
				}
			}
		}
		k.Administrators = list
	}
	if f, ok := fs["allow_admin_delete"]; ok {
		k.AllowAdminDelete, _ = c.boolean(f, "allow_admin_delete")
	}
	return k, k.Alias != ""
}

func (c *checker) tags(f field) map[string]string {
	n := f.val
	if n.Kind != yaml.MappingNode {
		c.errorf(f.at, "tags must be a mapping of tag keys to values, not %s", describe(n))
		return nil
	}
	tags := map[string]string{}
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content) && !c.aborted; i += 2 {
		kat := n.Content[i]
		k, ok := c.str(field{at: kat, val: c.deref(kat)}, "tag key")
		if !ok {
			continue
		}
		switch l := utf8.RuneCountInString(k); {
		case l == 0 || l > maxTagKeyLen:
			c.errorf(kat, "tag key %q must be 1 to %d characters long", k, maxTagKeyLen)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			c.errorf(kat, "tag key %q must not start with aws: (reserved for AWS)", k)
		}
		if line, dup := lines[k]; dup {
			c.errorf(kat, "tag %q is repeated (first at line %d)", k, line)
			continue
		}
		lines[k] = kat.Line
		vat := n.Content[i+1]
		v, ok := c.str(field{at: vat, val: c.deref(vat)}, fmt.Sprintf("tag %q", k))
		if !ok {
			continue
		}
		if l := utf8.RuneCountInString(v); l > maxTagValueLen {
			c.errorf(vat, "tag %q value is %d characters long; at most %d are allowed", k, l, maxTagValueLen)
		}
		tags[k] = v
	}
	return tags
}

// buckets checks the buckets list.
func (c *checker) buckets(f field, tr trust, keys map[string]*Key) []Bucket {
	if f.val.Kind != yaml.SequenceNode {
		c.errorf(f.at, "buckets must be a list of buckets (- name: NAME ...), not %s", describe(f.val))
		return nil
	}
	if len(f.val.Content) == 0 {
		c.errorf(f.at, "buckets is empty; list the buckets to keep encrypted")
		return nil
	}
	out := make([]Bucket, 0, len(f.val.Content))
	lines := map[string]int{}
	for _, item := range f.val.Content {
		if c.aborted {
			break
		}
		b, nameAt := c.bucket(item, tr, keys)
		if b.Name != "" {
			if line, dup := lines[b.Name]; dup {
				c.errorf(nameAt, "bucket %q is listed twice (first at line %d)", b.Name, line)
				continue
			}
			lines[b.Name] = b.Pos.Line
		}
		out = append(out, b)
	}
	return out
}

func (c *checker) bucket(item *yaml.Node, tr trust, keys map[string]*Key) (Bucket, *yaml.Node) {
	b := Bucket{ExistingObjects: ObjectsIgnore, Pos: Pos{Line: item.Line, Column: item.Column}}
	fs, ok := c.mapping(item, "bucket", bucketFields)
	if !ok {
		return b, item
	}
	nameAt := item
	if f, ok := fs["name"]; !ok {
		c.errorf(item, "bucket has no name")
	} else if s, good := c.str(f, "name"); good {
		nameAt = f.at
		if p := bucketNameProblem(s); p != "" {
			c.errorf(f.at, "%s", p)
		}
		b.Name = s
	}
	label := "bucket"
	if b.Name != "" {
		label = fmt.Sprintf("bucket %q", b.Name)
	}
	if f, ok := fs["region"]; ok {
		b.Region, _ = c.region(f, "region")
	}
	if f, ok := fs["encryption"]; !ok {
		c.errorf(item, "%s has no encryption; add encryption: sse-s3 or encryption: sse-kms", label)
	} else if s, good := c.str(f, "encryption"); good {
		switch e := Encryption(s); e {
		case SSES3, SSEKMS:
			b.Encryption = e
		default:
			c.errorf(f.at, "encryption %q must be sse-s3 or sse-kms", s)
		}
	}
	kmsF, hasKMS := fs["kms_key"]
	if hasKMS {
		if s, good := c.str(kmsF, "kms_key"); good {
			b.KMSKey = s
		}
	}
	prF, hasPrincipal := fs["transcoder_principal"]
	if hasPrincipal {
		if s, good := c.str(prF, "transcoder_principal"); good {
			b.TranscoderPrincipal = s
		}
	}
	bucketKeyF, hasBucketKey := fs["bucket_key"]
	bucketKeySet := false
	if hasBucketKey {
		b.BucketKey, bucketKeySet = c.boolean(bucketKeyF, "bucket_key")
	}
	if f, ok := fs["enforce_on_upload"]; ok {
		b.EnforceOnUpload, _ = c.boolean(f, "enforce_on_upload")
	}
	if f, ok := fs["require_tls"]; ok {
		b.RequireTLS, _ = c.boolean(f, "require_tls")
	}
	if f, ok := fs["existing_objects"]; ok {
		if s, good := c.str(f, "existing_objects"); good {
			switch o := ExistingObjects(s); o {
			case ObjectsIgnore, ObjectsReport, ObjectsReencrypt:
				b.ExistingObjects = o
			default:
				c.errorf(f.at, "existing_objects %q must be ignore, report or reencrypt", s)
			}
		}
	}
	if f, ok := fs["prefixes"]; ok {
		b.Prefixes, _, _ = c.strList(f, "prefixes")
	}

	switch b.Encryption {
	case SSES3:
		if hasKMS {
			c.errorf(kmsF.key, "%s uses sse-s3, which takes no kms_key; use encryption: sse-kms for a KMS key", label)
		}
		if hasPrincipal {
			c.errorf(prF.key, "%s uses sse-s3, which takes no transcoder_principal: nobody needs a key grant", label)
		}
		if bucketKeySet && b.BucketKey {
			c.errorf(bucketKeyF.key, "%s uses sse-s3; bucket_key applies to sse-kms only", label)
		}
		b.BucketKey = false
	case SSEKMS:
		if !hasKMS {
			c.errorf(item, "%s uses sse-kms but has no kms_key; name the key with kms_key: alias/NAME", label)
		}
		if !hasBucketKey {
			b.BucketKey = true
		}
	}
	if b.KMSKey != "" {
		c.kmsKey(kmsF, b, label, tr.home, keys)
	}
	if b.TranscoderPrincipal != "" {
		acct, p := parsePrincipal("transcoder_principal", b.TranscoderPrincipal, false)
		switch {
		case p != "":
			c.errorf(prF.at, "%s", p)
		default:
			if why := tr.outside("transcoder_principal", b.TranscoderPrincipal, acct); why != "" {
				c.errorf(prF.at, "%s", why)
			}
		}
	}
	return b, nameAt
}

// kmsKey checks a bucket's kms_key against the account and the regions of bucket and key.
func (c *checker) kmsKey(f field, b Bucket, label, account string, keys map[string]*Key) {
	ref, p := parseKMSKey(b.KMSKey)
	if p != "" {
		c.errorf(f.at, "%s", p)
		return
	}
	if ref.Account != "" && account != "" && ref.Account != account {
		c.errorf(f.at, "kms_key %q is in account %s, but the policy's account is %s", b.KMSKey, ref.Account, account)
	}
	if ref.Region != "" && b.Region != "" && ref.Region != b.Region {
		c.errorf(f.at, "kms_key %q is in region %s, but %s is in %s; S3 can only use a KMS key from the bucket's own region", b.KMSKey, ref.Region, label, b.Region)
	}
	k, ok := keys[ref.Alias]
	if ref.Alias == "" || !ok || k.Region == "" {
		return
	}
	if ref.Region != "" && ref.Region != k.Region {
		c.errorf(f.at, "kms_key %q is in region %s, but keys pins %s to %s (line %d)", b.KMSKey, ref.Region, k.Alias, k.Region, k.Pos.Line)
	} else if ref.Region == "" && b.Region != "" && b.Region != k.Region {
		c.errorf(f.at, "kms_key %s is pinned to region %s (line %d), but %s is in %s; S3 can only use a KMS key from the bucket's own region", b.KMSKey, k.Region, k.Pos.Line, label, b.Region)
	}
}
