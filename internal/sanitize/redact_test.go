package sanitize

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRedactorString(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, want string }{
		"key ARN":             {"created arn:aws:kms:us-east-1:123456789012:key/1234", "created arn:aws:kms:us-east-1:REDACTED:key/1234"},
		"IAM role, no region": {"arn:aws:iam::123456789012:role/KeyAdmin", "arn:aws:iam::REDACTED:role/KeyAdmin"},
		"other account ARN":   {"principal arn:aws:iam::111122223333:root is outside", "principal arn:aws:iam::REDACTED:root is outside"},
		"AWS error message": {"User: arn:aws:sts::123456789012:assumed-role/apply/gh is not authorized to perform: kms:PutKeyPolicy on resource: arn:aws:kms:us-east-1:123456789012:key/abcd",
			"User: arn:aws:sts::REDACTED:assumed-role/apply/gh is not authorized to perform: kms:PutKeyPolicy on resource: arn:aws:kms:us-east-1:REDACTED:key/abcd"},
		"GovCloud, wildcard region": {"arn:aws-us-gov:kms:*:123456789012:key/*", "arn:aws-us-gov:kms:*:REDACTED:key/*"},
		"upper case ARN":            {"ARN:AWS:IAM::123456789012:ROOT", "ARN:AWS:IAM::REDACTED:ROOT"},
		"bare home account":         {"account 123456789012, caller 123456789012.", "account REDACTED, caller REDACTED."},
		"in a policy document":      {`{"Principal":{"AWS":"123456789012"}}`, `{"Principal":{"AWS":"REDACTED"}}`},
		"longer number kept":        {"size 91234567890123 bytes", "size 91234567890123 bytes"},
		"S3 ARN has no account":     {"arn:aws:s3:::media-hls/*", "arn:aws:s3:::media-hls/*"},
		"AWS managed policy":        {"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"},
		"other bare number kept":    {"111122223333 objects", "111122223333 objects"},
		"hostile key":               {"videos/arn:aws:iam::123456789012:x\n::add-mask::123456789012", "videos/arn:aws:iam::REDACTED:x\n::add-mask::REDACTED"},
	}
	r := NewRedactor(true)
	if !r.AddAccount("123456789012") || r.AddAccount("123456789012") || r.AddAccount("12345") || r.AddAccount("") {
		t.Fatal("AddAccount reports a new 12-digit id once, and ignores anything else")
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := r.String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}

	off := NewRedactor(false)
	off.AddAccount("123456789012")
	var none *Redactor
	for _, r := range []*Redactor{off, none} {
		if in := "arn:aws:iam::123456789012:root 123456789012"; r.String(in) != in {
			t.Errorf("a disabled or nil Redactor changed %q", in)
		}
	}
}

func TestPolicyAccounts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := map[string]struct {
		yaml string
		want []string
	}{
		"account":                 {"version: 1\naccount: \"123456789012\"\n", []string{"123456789012"}},
		"unquoted":                {"account: 123456789012\n", []string{"123456789012"}},
		"trusted and accounts":    {"account: \"123456789012\"\ntrusted_accounts: [\"111122223333\", \"444455556666\"]\naccounts:\n  - id: \"777788889999\"\n    role: arn:aws:iam::777788889999:role/x\n", []string{"123456789012", "111122223333", "444455556666", "777788889999"}},
		"other problems":          {"version: 7\naccount: \"123456789012\"\nbuckets: [{name: Bad_Name, encrypton: x}]\n", []string{"123456789012"}},
		"not an account":          {"account: \"12345\"\n", nil},
		"elsewhere is not listed": {"buckets:\n  - name: b\n    transcoder_principal: \"111122223333\"\n", nil},
		"not YAML":                {"account: [\n", nil},
		"not a mapping":           {"- 123456789012\n", nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, PolicyAccounts(path)); diff != "" {
				t.Errorf("PolicyAccounts (-want +got):\n%s", diff)
			}
		})
	}
	if got := PolicyAccounts(filepath.Join(dir, "missing.yaml")); got != nil {
		t.Errorf("a missing file gives %v", got)
	}
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	type inner struct {
		Msg  string
		when time.Time
	}
	type doc struct {
		Account string
		Lines   []string
		Counts  map[string]int
		Inner   *inner
		Any     any
		Nil     *inner
		N       int
	}
	now := time.Now()
	orig := &doc{Account: "123456789012", Lines: []string{"arn:aws:iam::123456789012:root", "ok"},
		Counts: map[string]int{"123456789012": 1}, Inner: &inner{Msg: "account 123456789012", when: now},
		Any: []string{"123456789012"}, N: 7}
	r := NewRedactor(true)
	r.AddAccount("123456789012")
	got := Redacted(r, orig)
	want := &doc{Account: "REDACTED", Lines: []string{"arn:aws:iam::REDACTED:root", "ok"},
		Counts: map[string]int{"REDACTED": 1}, Inner: &inner{Msg: "account REDACTED", when: now},
		Any: []string{"REDACTED"}, N: 7}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(inner{})); diff != "" {
		t.Errorf("Redacted (-want +got):\n%s", diff)
	}
	if orig.Account != "123456789012" || orig.Lines[0] != "arn:aws:iam::123456789012:root" || orig.Inner.Msg != "account 123456789012" {
		t.Errorf("Redacted changed its input: %+v", orig)
	}
	if Redacted(NewRedactor(false), orig) != orig {
		t.Errorf("a disabled Redactor copies")
	}
}
