package iamgen

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/testsupport/golden"
)

const acct = "123456789012"

func example(t *testing.T) *policy.Policy {
	t.Helper()
	p, err := policy.Load("../../policy.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func render(t *testing.T, d *iampolicy.Document) string {
	t.Helper()
	s, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid([]byte(s)) {
		t.Fatalf("not JSON:\n%s", s)
	}
	return s
}

func TestGolden(t *testing.T) {
	t.Parallel()
	pol := example(t)
	for _, role := range []Role{RolePlan, RoleApply} {
		d, err := Policy(pol, Options{Role: role})
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "example-"+string(role)+".json"), render(t, d))
	}
	for name, o := range map[string]TrustOptions{
		"trust-plan":           {Role: RolePlan, Account: acct, Repo: "octo-org/media"},
		"trust-apply":          {Role: RoleApply, Account: acct, Repo: "octo-org/media"},
		"trust-apply-env":      {Role: RoleApply, Account: acct, Repo: "octo-org/media", Environment: "production"},
		"trust-apply-workflow": {Role: RoleApply, Account: acct, Repo: "octo-org/media", Workflow: ".github/workflows/sseguard-apply.yml"},
		"trust-plan-workflow":  {Role: RolePlan, Account: acct, Repo: "octo-org/media", Workflow: ".github/workflows/sseguard-plan.yml"},
		// Immutable subject claims: the owner's and the repository's ids after their names.
		"trust-plan-immutable":      {Role: RolePlan, Account: acct, Repo: "octo-org@5544123/media@821093847"},
		"trust-apply-immutable":     {Role: RoleApply, Account: acct, Repo: "octo-org@5544123/media@821093847"},
		"trust-apply-env-immutable": {Role: RoleApply, Account: acct, Repo: "octo-org@5544123/media@821093847", Environment: "production"},
	} {
		d, err := Trust(o)
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", name+".json"), render(t, d))
	}
}

// allowed evaluates d as the identity policy of the sseguard role. iampolicy judges resource
// policies, where a statement applies only to the principals it names; an identity policy's
// statements name none and apply to whoever the policy is attached to, so each is judged as if
// its Principal were "*".
func allowed(t *testing.T, d *iampolicy.Document, action, resource string, ctx map[string][]string) bool {
	t.Helper()
	src, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	stmts, _ := doc["Statement"].([]any)
	for _, st := range stmts {
		if m, ok := st.(map[string]any); ok {
			m["Principal"] = "*"
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	asResource, err := iampolicy.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return asResource.Explain(iampolicy.Request{Principal: "arn:aws:iam::" + acct + ":role/sseguard", Action: action, Resource: resource, Context: ctx}, iampolicy.EvalOptions{}).Decision == iampolicy.Allow
}

// Nothing either role may do destroys anything, and the plan role writes nothing.
func TestNeverDestroys(t *testing.T) {
	t.Parallel()
	pol := example(t)
	destructive := []string{"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DeleteAlias", "kms:DeleteImportedKeyMaterial",
		"kms:DisableKeyRotation", "kms:UpdateAlias", "kms:RevokeGrant", "kms:CreateGrant", "s3:DeleteObject", "s3:DeleteObjectVersion",
		"s3:DeleteBucket", "s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration"}
	writes := []string{"s3:PutObject", "s3:PutEncryptionConfiguration", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
		"kms:CreateKey", "kms:PutKeyPolicy", "kms:CreateAlias", "kms:EnableKeyRotation", "s3:UpdateObjectEncryption"}
	resources := []string{"*", "arn:aws:s3:::media-hls", "arn:aws:s3:::media-hls/videos/a.ts", "arn:aws:kms:us-east-1:" + acct + ":key/k",
		"arn:aws:kms:us-east-1:" + acct + ":alias/hls-adaptive-key"}
	ctx := map[string][]string{"kms:ResourceAliases": {"alias/hls-adaptive-key"}, "aws:ResourceTag/" + AliasTag: {"alias/hls-adaptive-key"},
		"aws:RequestTag/" + AliasTag: {"alias/hls-adaptive-key"}, "kms:ViaService": {"s3.us-east-1.amazonaws.com"},
		"kms:EncryptionContext:aws:s3:arn": {"arn:aws:s3:::media-hls"}}
	for _, role := range []Role{RolePlan, RoleApply} {
		d, _ := Policy(pol, Options{Role: role})
		deny := destructive
		if role == RolePlan {
			deny = append(append([]string(nil), destructive...), writes...)
		}
		for _, a := range deny {
			for _, r := range resources {
				if allowed(t, d, a, r, ctx) {
					t.Errorf("%s role allows %s on %s", role, a, r)
				}
			}
		}
	}
}

// The apply role is scoped to the file's buckets, prefixes and keys.
func TestApplyScope(t *testing.T) {
	t.Parallel()
	d, err := Policy(example(t), Options{Role: RoleApply})
	if err != nil {
		t.Fatal(err)
	}
	alias := "alias/hls-adaptive-key"
	key := "arn:aws:kms:us-east-1:" + acct + ":key/1234"
	for _, c := range []struct {
		action, resource string
		ctx              map[string][]string
		want             bool
	}{
		{"s3:PutEncryptionConfiguration", "arn:aws:s3:::media-hls", nil, true},
		{"s3:PutEncryptionConfiguration", "arn:aws:s3:::someone-elses-bucket", nil, false},
		{"s3:PutObject", "arn:aws:s3:::media-hls/videos/seg.ts", nil, true},
		{"s3:PutObject", "arn:aws:s3:::media-hls/private/seg.ts", nil, false}, // outside prefixes
		{"s3:PutObject", "arn:aws:s3:::media-thumbnails/x.jpg", nil, false},   // report only
		{"s3:GetObject", "arn:aws:s3:::media-thumbnails/x.jpg", nil, true},
		{"kms:CreateKey", "*", newKey(alias), true},
		{"kms:CreateKey", "*", newKey("alias/other"), false},
		{"kms:CreateKey", "*", nil, false},
		{"kms:CreateKey", "*", with(newKey(alias), "kms:MultiRegion", "true"), false},
		{"kms:CreateKey", "*", with(newKey(alias), "kms:KeySpec", "RSA_4096"), false},
		{"kms:CreateKey", "*", with(newKey(alias), "kms:KeyOrigin", "EXTERNAL"), false},
		{"kms:CreateKey", "*", with(newKey(alias), "kms:BypassPolicyLockoutSafetyCheck", "true"), false},
		{"kms:CreateKey", "*", with(newKey(alias), "aws:TagKeys", AliasTag, "owner"), false}, // a tag the file does not set
		{"kms:CreateAlias", "arn:aws:kms:us-east-1:" + acct + ":" + alias, nil, true},
		{"kms:CreateAlias", "arn:aws:kms:us-east-1:" + acct + ":alias/other", nil, false},
		// The key side of CreateAlias is granted by no IAM statement: only the key policy of a
		// key sseguard created lets the role name it.
		{"kms:CreateAlias", key, map[string][]string{"aws:ResourceTag/" + AliasTag: {alias}}, false},
		{"kms:CreateAlias", key, nil, false},
		{"kms:PutKeyPolicy", key, map[string][]string{"kms:ResourceAliases": {alias}}, true},
		{"kms:PutKeyPolicy", key, map[string][]string{"kms:ResourceAliases": {alias}, "kms:BypassPolicyLockoutSafetyCheck": {"true"}}, false},
		{"kms:PutKeyPolicy", key, map[string][]string{"kms:ResourceAliases": {"alias/other"}}, false},
		// A tag grants nothing: anyone who may tag can tag anyone's key.
		{"kms:PutKeyPolicy", key, map[string][]string{"aws:ResourceTag/" + AliasTag: {alias}}, false},
		{"kms:EnableKeyRotation", key, map[string][]string{"aws:ResourceTag/" + AliasTag: {alias}}, false},
		{"kms:GetKeyPolicy", key, map[string][]string{"aws:ResourceTag/" + AliasTag: {alias}}, true}, // a read, to judge it
		{"kms:EnableKeyRotation", key, map[string][]string{"kms:ResourceAliases": {alias}}, true},
		{"kms:PutKeyPolicy", "arn:aws:kms:us-east-1:999988887777:key/1234", map[string][]string{"kms:ResourceAliases": {alias}}, false},
		{"kms:GenerateDataKey", key, map[string][]string{"kms:ViaService": {"s3.us-east-1.amazonaws.com"}, "kms:EncryptionContext:aws:s3:arn": {"arn:aws:s3:::media-hls/videos/a.ts"}}, true},
		{"kms:Decrypt", key, map[string][]string{"kms:ViaService": {"s3.us-east-1.amazonaws.com"}, "kms:EncryptionContext:aws:s3:arn": {"arn:aws:s3:::other-bucket"}}, false},
		{"kms:Decrypt", key, nil, false}, // not through S3
		{"iam:GetRole", "arn:aws:iam::" + acct + ":role/Elastic_Transcoder_Default_Role", nil, true},
	} {
		if got := allowed(t, d, c.action, c.resource, c.ctx); got != c.want {
			t.Errorf("%s on %s %v: allowed = %v, want %v", c.action, c.resource, c.ctx, got, c.want)
		}
	}
}

// IAM's limits: a managed policy is at most 6,144 characters, whitespace aside; Sids are
// alphanumeric.
func TestFitsIAMLimits(t *testing.T) {
	t.Parallel()
	for _, role := range []Role{RolePlan, RoleApply} {
		d, _ := Policy(example(t), Options{Role: role})
		s := render(t, d)
		n := len(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s))
		if n > 6144 {
			t.Errorf("%s policy is %d characters without whitespace; IAM allows 6,144 for a managed policy", role, n)
		}
		for _, st := range d.Statements {
			for _, r := range st.Sid {
				if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
					t.Errorf("Sid %q is not alphanumeric", st.Sid)
				}
			}
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	pol := example(t)
	pol.Account = ""
	if _, err := Policy(pol, Options{Role: RoleApply}); err == nil || !strings.Contains(err.Error(), "--account") {
		t.Errorf("no account: %v", err)
	}
	if _, err := Policy(example(t), Options{Role: "admin"}); err == nil {
		t.Error("an unknown role gave a policy")
	}
	for _, o := range []TrustOptions{{Role: RoleApply, Account: acct, Repo: "not a repo"}, {Role: RoleApply, Repo: "o/r"},
		{Role: RoleApply, Account: acct, Repo: "o/r", Branch: "main\"}"},
		// Half the immutable form, ids that are not numbers, a wildcard for an id.
		{Role: RoleApply, Account: acct, Repo: "o@1/r"}, {Role: RoleApply, Account: acct, Repo: "o/r@2"},
		{Role: RoleApply, Account: acct, Repo: "o@x/r@2"}, {Role: RoleApply, Account: acct, Repo: "o@*/r@*"},
		{Role: RoleApply, Account: acct, Repo: "o@1/r@2", Workflow: ".github/workflows/a.yml"}} {
		if _, err := Trust(o); err == nil {
			t.Errorf("Trust(%+v) gave no error", o)
		}
	}
}

// newKey is the request context of the CreateKey sseguard sends for alias (parameters at their
// defaults are present too: "AWS KMS condition keys").
func newKey(alias string) map[string][]string {
	return map[string][]string{"aws:RequestTag/" + AliasTag: {alias}, "aws:TagKeys": {AliasTag}, "kms:KeySpec": {"SYMMETRIC_DEFAULT"},
		"kms:KeyUsage": {"ENCRYPT_DECRYPT"}, "kms:KeyOrigin": {"AWS_KMS"}, "kms:MultiRegion": {"false"}, "kms:BypassPolicyLockoutSafetyCheck": {"false"}}
}

func with(ctx map[string][]string, key string, values ...string) map[string][]string {
	out := map[string][]string{}
	for k, v := range ctx {
		out[k] = v
	}
	out[key] = values
	return out
}
