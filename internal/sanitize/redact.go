package sanitize

import (
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Placeholder is what a redacted account id is replaced with. It is plain letters, so it needs
// no escaping in a log line, a markdown table or an annotation.
const Placeholder = "REDACTED"

// arnAccount finds the account field of an ARN (arn:partition:service:region:account-id:...),
// wildcards allowed in service and region as policies write them. See "Identify AWS resources
// with Amazon Resource Names (ARNs)", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
var arnAccount = regexp.MustCompile(`(?i)arn:[a-z0-9-]+:[a-z0-9*?-]*:[a-z0-9*?-]*:([0-9]{12})`)

// Redactor replaces account ids with Placeholder in what is written for people: the 12-digit
// account field of every ARN, and every account id it has been told of (AddAccount) wherever it
// appears on its own (not as part of a longer number). A nil or disabled Redactor changes
// nothing. It is safe for concurrent use: the account can be learnt while lines are written.
type Redactor struct {
	mu       sync.RWMutex
	on       bool
	accounts []string
}

// NewRedactor returns a Redactor, enabled or not.
func NewRedactor(on bool) *Redactor { return &Redactor{on: on} }

// Enable turns redaction on.
func (r *Redactor) Enable() {
	r.mu.Lock()
	r.on = true
	r.mu.Unlock()
}

// Enabled reports whether r redacts.
func (r *Redactor) Enabled() bool {
	if r == nil {
		return false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.on
}

// AddAccount tells r of an account id to redact wherever it appears. It reports whether id is a
// 12-digit account id r did not know of (the action masks each such id once); anything else is
// ignored.
func (r *Redactor) AddAccount(id string) bool {
	if r == nil || !isAccountID(id) {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.accounts {
		if a == id {
			return false
		}
	}
	r.accounts = append(r.accounts, id)
	return true
}

// PolicyAccounts returns the account ids the policy file at path names as its own: the top-level
// account, and those under trusted_accounts and accounts. The file is read leniently: one with
// other problems, which the policy package refuses whole, still gives its accounts, so that the
// messages about those problems can be redacted too. A file that cannot be read or is not YAML
// gives none.
func PolicyAccounts(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil
	}
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	var ids []string
	var collect func(n *yaml.Node, depth int)
	collect = func(n *yaml.Node, depth int) {
		if depth > 4 {
			return
		}
		if n.Kind == yaml.ScalarNode && isAccountID(n.Value) {
			ids = append(ids, n.Value)
		}
		for _, c := range n.Content {
			collect(c, depth+1)
		}
	}
	top := doc.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		switch top[i].Value {
		case "account", "trusted_accounts", "accounts":
			collect(top[i+1], 0)
		}
	}
	return ids
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String returns s with every account id replaced, when r is enabled.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	on, accounts := r.on, r.accounts
	r.mu.RUnlock()
	if !on {
		return s
	}
	if m := arnAccount.FindAllStringSubmatchIndex(s, -1); m != nil {
		var b strings.Builder
		last := 0
		for _, loc := range m {
			b.WriteString(s[last:loc[2]])
			b.WriteString(Placeholder)
			last = loc[3]
		}
		b.WriteString(s[last:])
		s = b.String()
	}
	for _, a := range accounts {
		s = replaceNumber(s, a)
	}
	return s
}

// replaceNumber replaces each occurrence of the number n in s that is not part of a longer run of
// digits.
func replaceNumber(s, n string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, n)
		if i < 0 {
			break
		}
		end := i + len(n)
		b.WriteString(s[:i])
		if (i > 0 && isDigit(s[i-1])) || (end < len(s) && isDigit(s[end])) {
			b.WriteString(s[i : i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(Placeholder)
		s = s[end:]
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(s)
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Redacted returns a deep copy of v in which every string (fields, elements, map keys and values,
// at any depth) has gone through r.String; v itself is left as it was. Unexported fields are
// copied as they are. A nil or disabled r returns v.
//
// Values are redacted before they are rendered, not only after: a renderer that shortens a long
// value could otherwise cut an account id into a piece too short to be recognised.
func Redacted[T any](r *Redactor, v T) T {
	if !r.Enabled() {
		return v
	}
	out, ok := redactValue(reflect.ValueOf(&v).Elem(), r).Interface().(T)
	if !ok {
		return v
	}
	return out
}

func redactValue(v reflect.Value, r *Redactor) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		out := reflect.New(v.Type()).Elem()
		out.SetString(r.String(v.String()))
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(redactValue(v.Elem(), r))
		return out
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type()).Elem()
		out.Set(redactValue(v.Elem(), r))
		return out
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		out.Set(v)
		for i := range v.NumField() {
			if out.Field(i).CanSet() {
				out.Field(i).Set(redactValue(v.Field(i), r))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(redactValue(v.Index(i), r))
		}
		return out
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			out.Index(i).Set(redactValue(v.Index(i), r))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		it := v.MapRange()
		for it.Next() {
			out.SetMapIndex(redactValue(it.Key(), r), redactValue(it.Value(), r))
		}
		return out
	}
	return v
}
