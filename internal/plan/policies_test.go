package plan

import (
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

const role = "arn:aws:iam::111122223333:role/Transcoder"

func rootOnly() string {
	d := iampolicy.KeyPolicy(iampolicy.KeyPolicySpec{Account: acct})
	s, _ := d.JSON()
	return s
}

func fullKeyPolicy(users ...string) string {
	s, _ := iampolicy.KeyPolicy(iampolicy.KeyPolicySpec{Account: acct, Users: users}).JSON()
	return s
}

func compliantRule() *state.Rule {
	return &state.Rule{Algorithm: "aws:kms", KeyRef: keyARN, KeyARN: keyARN, BucketKey: true}
}

func keyWith(policyJSON string, rotation bool) *state.Key {
	k := enabledKey()
	k.Policy = policyJSON
	k.Rotation = &rotation
	return k
}

func TestKeyPolicyPlanning(t *testing.T) {
	t.Parallel()
	aliasRef := state.KeyRef{Region: "us-east-1", Ref: "alias/media"}
	bucket := func() policy.Bucket {
		b := kmsBucket("b", "alias/media")
		b.TranscoderPrincipal = role
		return b
	}
	denyDecrypt := strings.Replace(fullKeyPolicy(role), `"Statement": [`,
		`"Statement": [{"Sid":"NoDecrypt","Effect":"Deny","Principal":{"AWS":"`+role+`"},"Action":"kms:Decrypt","Resource":"*"},`, 1)
	tests := map[string]struct {
		key  *state.Key
		want kinds
	}{
		"root only: the transcoder's statements are added": {
			key:  keyWith(rootOnly(), true),
			want: kinds{Changes: []string{"update-key-policy/us-east-1/" + keyARN}},
		},
		"complete policy, rotation off: rotation only": {
			key:  keyWith(fullKeyPolicy(role), false),
			want: kinds{Changes: []string{"enable-key-rotation/us-east-1/" + keyARN}},
		},
		"complete policy, rotation on: in sync": {
			key:  keyWith(fullKeyPolicy(role), true),
			want: kinds{},
		},
		"kms:* to everyone without a condition: blocker": {
			key: keyWith(strings.Replace(fullKeyPolicy(role), `"Statement": [`,
				`"Statement": [{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},`, 1), true),
			want: kinds{Blockers: []string{"key-policy-conflict/b"}},
		},
		"explicit deny for the transcoder: blocker, not an edit of someone else's statement": {
			key:  keyWith(denyDecrypt, true),
			want: kinds{Blockers: []string{"key-policy-conflict/b"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", compliantRule())},
				map[state.KeyRef]*state.Key{aliasRef: tc.key})
			p := Compute(&policy.Policy{Buckets: []policy.Bucket{bucket()}}, st)
			if got := view(p); !equalKinds(got, tc.want) {
				t.Fatalf("plan = %+v, want %+v\n%+v", got, tc.want, p.Blockers)
			}
			for _, c := range p.Changes {
				if c.Kind != UpdateKeyPolicy {
					continue
				}
				doc, err := iampolicy.Parse(c.Document)
				if err != nil {
					t.Fatal(err)
				}
				if f := iampolicy.CheckKeyPolicy(doc, iampolicy.KeyRequirements{Account: acct, KeyARN: keyARN, Users: []string{role}}); len(f) != 0 {
					t.Errorf("the new key policy still has findings: %+v", f)
				}
				if !strings.Contains(strings.Join(c.Details, "\n"), role+" gains kms:") {
					t.Errorf("details do not say which principal gains which actions: %q", c.Details)
				}
			}
		})
	}
}

func TestSharedKeyGrantsEveryTranscoder(t *testing.T) {
	t.Parallel()
	other := "arn:aws:iam::111122223333:role/MediaConvert"
	a, b := kmsBucket("a", "alias/new"), kmsBucket("b", "alias/new")
	a.TranscoderPrincipal, b.TranscoderPrincipal = role, other
	st := newState(map[string]*state.Bucket{"a": existing("a", "us-east-1", nil), "b": existing("b", "us-east-1", nil)},
		map[state.KeyRef]*state.Key{{Region: "us-east-1", Ref: "alias/new"}: {Found: false}})
	pol := &policy.Policy{Keys: []policy.Key{{Alias: "alias/new", Administrators: []string{"arn:aws:iam::111122223333:role/Admin"}, Rotation: true, Pos: policy.Pos{Line: 2}}},
		Buckets: []policy.Bucket{a, b}}
	p := Compute(pol, st)
	c, ok := p.Change("create-key/us-east-1/alias/new")
	if !ok || c.Key.Policy == "" {
		t.Fatalf("no create-key change with a policy: %+v", p.Changes)
	}
	doc, err := iampolicy.Parse(c.Key.Policy)
	if err != nil {
		t.Fatal(err)
	}
	f := iampolicy.CheckKeyPolicy(doc, iampolicy.KeyRequirements{Account: acct, Users: []string{role, other},
		Administrators: []string{"arn:aws:iam::111122223333:role/Admin"}})
	if len(f) != 0 {
		t.Errorf("a new key's policy must be complete at creation; findings: %+v", f)
	}
}

func TestBucketPolicyPlanning(t *testing.T) {
	t.Parallel()
	spec := iampolicy.BucketSpec{Bucket: "b", Algorithm: "AES256", EnforceOnUpload: true, RequireTLS: true}
	full, _ := iampolicy.Merge(nil, iampolicy.BucketStatements(spec)).JSON()
	cloudfront := `{"Version":"2012-10-17","Statement":[{"Sid":"CloudFront","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	tests := map[string]struct {
		policy           string
		enforce, tls     bool
		wantChange       bool
		wantDelete       bool
		wantKeptStatemnt string
	}{
		"no policy, both asked":        {enforce: true, tls: true, wantChange: true},
		"someone's policy, both asked": {policy: cloudfront, enforce: true, tls: true, wantChange: true, wantKeptStatemnt: `"Sid": "CloudFront"`},
		"already guaranteed":           {policy: full, enforce: true, tls: true},
		"nothing asked, nothing there": {policy: cloudfront},
		// S3 refuses an empty statement list: a policy that held only sseguard's statements
		// is deleted, never written empty.
		"nothing asked, only stale owned: deleted": {policy: full, wantChange: true, wantDelete: true},
		"nothing asked, stale owned removed, others kept": {policy: strings.Replace(full, `"Statement": [`, `"Statement": [{"Sid":"CloudFront","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},`, 1),
			wantChange: true, wantKeptStatemnt: `"Sid": "CloudFront"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ob := existing("b", "us-east-1", &state.Rule{Algorithm: "AES256"})
			ob.Policy = tc.policy
			pb := policy.Bucket{Name: "b", Encryption: policy.SSES3, EnforceOnUpload: tc.enforce, RequireTLS: tc.tls}
			p := Compute(&policy.Policy{Buckets: []policy.Bucket{pb}}, newState(map[string]*state.Bucket{"b": ob}, nil))
			c, ok := p.Change("update-bucket-policy/b")
			if ok != tc.wantChange {
				t.Fatalf("bucket policy change = %v, want %v (%+v)", ok, tc.wantChange, p.Changes)
			}
			if !ok {
				return
			}
			if c.DeleteDocument != tc.wantDelete || (c.DeleteDocument && c.Document != "") {
				t.Fatalf("delete = %v, document %q; want delete %v", c.DeleteDocument, c.Document, tc.wantDelete)
			}
			if c.ObservedDocument != tc.policy {
				t.Errorf("the change does not carry the policy it was planned from")
			}
			if tc.wantDelete {
				return
			}
			if tc.wantKeptStatemnt != "" && !strings.Contains(c.Document, tc.wantKeptStatemnt) {
				t.Errorf("statement %s not kept:\n%s", tc.wantKeptStatemnt, c.Document)
			}
			doc, err := iampolicy.Parse(c.Document)
			if err != nil {
				t.Fatal(err)
			}
			want := iampolicy.BucketSpec{Bucket: "b", Algorithm: "AES256", EnforceOnUpload: tc.enforce, RequireTLS: tc.tls}
			if f := iampolicy.CheckBucketPolicy(doc, want); len(f) != 0 {
				t.Errorf("the planned bucket policy still has findings: %+v", f)
			}
		})
	}
}

func equalKinds(a, b kinds) bool {
	return strings.Join(a.Changes, ",") == strings.Join(b.Changes, ",") && strings.Join(a.Blockers, ",") == strings.Join(b.Blockers, ",")
}

func TestOneKeyNamedTwoWaysIsJudgedOnce(t *testing.T) {
	t.Parallel()
	a, b := kmsBucket("a", "alias/media"), kmsBucket("b", keyARN)
	a.TranscoderPrincipal, b.TranscoderPrincipal = role, "arn:aws:iam::111122223333:role/Other"
	k := keyWith(rootOnly(), false)
	st := newState(map[string]*state.Bucket{"a": existing("a", "us-east-1", compliantRule()), "b": existing("b", "us-east-1", compliantRule())},
		map[state.KeyRef]*state.Key{{Region: "us-east-1", Ref: "alias/media"}: k, {Region: "us-east-1", Ref: keyARN}: k})
	p := Compute(&policy.Policy{Buckets: []policy.Bucket{a, b}}, st)
	want := kinds{Changes: []string{"update-key-policy/us-east-1/" + keyARN, "enable-key-rotation/us-east-1/" + keyARN}}
	if got := view(p); !equalKinds(got, want) {
		t.Fatalf("plan = %+v, want one change of each kind", got)
	}
	doc, _ := iampolicy.Parse(p.Changes[0].Document)
	if f := iampolicy.CheckKeyPolicy(doc, iampolicy.KeyRequirements{Account: acct, Users: []string{role, b.TranscoderPrincipal}}); len(f) != 0 {
		t.Errorf("the one key policy must grant both buckets' transcoders: %+v", f)
	}
}

// A policy that names a deleted principal (AWS shows its unique id) cannot be rewritten: the plan
// names the statement and blocks that policy change only; the bucket's other changes go on.
func TestDeletedPrincipalBlocksThatPolicyChangeOnly(t *testing.T) {
	t.Parallel()
	withGone := `{"Version":"2012-10-17","Statement":[{"Sid":"OldReader","Effect":"Allow","Principal":{"AWS":"AROAJQABLZS4A7QSYKKNX"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	ob := existing("b", "us-east-1", nil)
	ob.Policy = withGone
	pb := policy.Bucket{Name: "b", Encryption: policy.SSES3, RequireTLS: true, ExistingObjects: policy.ObjectsReencrypt}
	ob.ObjectsDeferred = true
	p := Compute(&policy.Policy{Buckets: []policy.Bucket{pb}}, newState(map[string]*state.Bucket{"b": ob}, nil))
	got := view(p)
	want := kinds{Changes: []string{"set-default-encryption/b"}, Blockers: []string{"policy-deleted-principal/b"}}
	if !equalKinds(got, want) {
		t.Fatalf("plan = %+v, want %+v (re-encryption waits for the bucket policy, so it stops too)", got, want)
	}
	bl := p.Blockers[0]
	if bl.Change != "update-bucket-policy/b" || !strings.Contains(bl.Message, `"OldReader"`) || !strings.Contains(bl.Message, "AROAJQABLZS4A7QSYKKNX") {
		t.Errorf("blocker = %+v", bl)
	}
	if p.Buckets[0].Status != Blocked {
		t.Errorf("bucket status = %s", p.Buckets[0].Status)
	}
}

// The upload Deny accepts the key by every name a client may use; a new key's names are
// placeholders that apply fills in; ARNs are built in the caller's partition.
func TestBucketPolicyNamesTheKeyEveryWayInThePartition(t *testing.T) {
	t.Parallel()
	b := kmsBucket("b", "alias/media")
	b.EnforceOnUpload = true
	for name, tc := range map[string]struct {
		key  *state.Key
		want []string
	}{
		"existing key": {key: keyWith(rootOnly(), true), want: []string{keyARN, keyID, "alias/media", "arn:aws-cn:kms:us-east-1:111122223333:alias/media"}},
		"new key":      {key: &state.Key{Found: false}, want: []string{KeyARNPlaceholder, KeyIDPlaceholder, "alias/media", "arn:aws-cn:kms:us-east-1:111122223333:alias/media"}},
	} {
		t.Run(name, func(t *testing.T) {
			k := tc.key
			if k.Found {
				k.ARN = strings.Replace(keyARN, "arn:aws:", "arn:aws-cn:", 1)
				tc.want[0] = k.ARN
			}
			st := newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)}, map[state.KeyRef]*state.Key{{Region: "us-east-1", Ref: "alias/media"}: k})
			st.Partition = "aws-cn"
			p := Compute(&policy.Policy{Buckets: []policy.Bucket{b}}, st)
			c, ok := p.Change("update-bucket-policy/b")
			if !ok {
				t.Fatalf("no bucket policy change: %+v %+v", p.Changes, p.Blockers)
			}
			for _, w := range append(tc.want, "arn:aws-cn:s3:::b/*") {
				if !strings.Contains(c.Document, `"`+w+`"`) {
					t.Errorf("bucket policy lacks %s:\n%s", w, c.Document)
				}
			}
			if strings.Contains(c.Document, "arn:aws:") {
				t.Errorf("an ARN outside the partition:\n%s", c.Document)
			}
			if ck, ok := p.Change("create-key/us-east-1/alias/media"); ok && (!strings.Contains(ck.Key.Policy, `"arn:aws-cn:iam::111122223333:root"`) || strings.Contains(ck.Key.Policy, "arn:aws:")) {
				t.Errorf("new key policy not in the partition:\n%s", ck.Key.Policy)
			}
		})
	}
}

// What a person reads: a key policy finding is one short line per principal and purpose, and a
// key not created yet is spelled in words (the documents keep the placeholders apply fills in).
func TestPlanReadsWell(t *testing.T) {
	t.Parallel()
	b := kmsBucket("b", "alias/media")
	b.TranscoderPrincipal = role
	st := newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", compliantRule())},
		map[state.KeyRef]*state.Key{{Region: "us-east-1", Ref: "alias/media"}: keyWith(rootOnly(), true)})
	c, ok := Compute(&policy.Policy{Buckets: []policy.Bucket{b}}, st).Change("update-key-policy/us-east-1/" + keyARN)
	if !ok {
		t.Fatal("no update-key-policy change")
	}
	if c.Before != "the key policy does not give 1 principal what it needs" {
		t.Errorf("before = %q", c.Before)
	}
	want := []string{
		role + " may not use the key (kms:Encrypt, kms:Decrypt, kms:ReEncryptFrom and 6 more)",
		role + " may not create grants for AWS resources (kms:CreateGrant, kms:ListGrants, kms:RevokeGrant)",
	}
	for i, w := range want {
		if i >= len(c.Details) || c.Details[i] != w {
			t.Errorf("details[%d] = %q, want %q", i, c.Details, w)
		}
	}
	for _, d := range c.Details {
		if len(d) > 200 {
			t.Errorf("a detail line of %d characters: %q", len(d), d)
		}
	}

	nb := kmsBucket("n", "alias/new")
	nb.EnforceOnUpload = true
	p := Compute(&policy.Policy{Buckets: []policy.Bucket{nb}}, newState(map[string]*state.Bucket{"n": existing("n", "us-east-1", nil)},
		map[state.KeyRef]*state.Key{{Region: "us-east-1", Ref: "alias/new"}: {Found: false}}))
	bp, _ := p.Change("update-bucket-policy/n")
	text := strings.Join(bp.Details, "\n")
	if strings.Contains(text, "${sseguard") || !strings.Contains(text, "(the new key's ARN, known after apply)") {
		t.Errorf("details:\n%s", text)
	}
	if !strings.Contains(bp.Document, KeyARNPlaceholder) {
		t.Errorf("the document must keep the placeholder apply fills in")
	}
}
