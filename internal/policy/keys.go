package policy

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// keyFields are the fields of a keys entry.
var keyFields = []string{"alias", "region", "description", "tags", "rotation", "administrators", "allow_admin_delete", "account"}

// keys checks the keys list and fills byAlias with the first entry of each alias, by keyID.
func (c *checker) keys(f field, tr trust, byAlias map[string]*Key) []Key {
	items, _ := c.entries(f, "keys must be a list of key entries (- alias: alias/NAME ...)")
	out := make([]Key, 0, len(items))
	lines := map[string]int{}
	for _, item := range items {
		if c.aborted {
			break
		}
		k, ok := c.key(item, tr)
		if !ok {
			continue
		}
		id := keyID(k.Account, k.Alias)
		if line, dup := lines[id]; dup {
			if k.Account != "" {
				c.errorf(item, "key %s of account %s is listed twice (first at line %d)", k.Alias, k.Account, line)
			} else {
				c.errorf(item, "key %s is listed twice (first at line %d)", k.Alias, line)
			}
			continue
		}
		lines[id] = k.Pos.Line
		out = append(out, k)
	}
	for i := range out {
		byAlias[keyID(out[i].Account, out[i].Alias)] = &out[i]
	}
	return out
}

// key checks one keys entry; it answers false when the entry has no usable alias.
func (c *checker) key(item *yaml.Node, tr trust) (Key, bool) {
	k := Key{Rotation: true, Pos: Pos{Line: item.Line, Column: item.Column}}
	fs, ok := c.mapping(item, "key entry", keyFields)
	if !ok {
		return k, false
	}
	k.Account, tr = c.entryAccount(fs, tr, "key entry")
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

// keyID names a key entry among all accounts': an alias is unique within its account only.
func keyID(account, alias string) string {
	return account + "/" + alias
}

// tags checks a key's tags against KMS's limits.
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
