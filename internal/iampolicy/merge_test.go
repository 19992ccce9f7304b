package iampolicy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMergeKeepsForeignStatements(t *testing.T) {
	t.Parallel()
	src := readFixture(t, "key-policy-cloudfront-audit.json")
	existing := mustParse(t, src)
	merged := Merge(existing, KeyStatements(keySpec))
	var sids []string
	for _, s := range merged.Statements {
		sids = append(sids, s.Sid)
	}
	want := []string{"Enable IAM User Permissions", "AllowCloudFrontServicePrincipalSSE-KMS", "AuditReadOnly",
		SidKeyAdmin, SidKeyAdminDenyDelete, SidKeyUse, SidKeyGrants}
	if diff := cmp.Diff(want, sids); diff != "" {
		t.Errorf("Sids (-want +got):\n%s", diff)
	}
	for i := 0; i < 3; i++ {
		if string(merged.Statements[i].raw) != string(existing.Statements[i].raw) || merged.Statements[i].raw == nil {
			t.Errorf("statement %d lost its original JSON", i)
		}
	}
	out, err := merged.JSON()
	if err != nil {
		t.Fatal(err)
	}
	// The kept statements appear in the output exactly as in the source file.
	for _, sid := range []string{"Enable IAM User Permissions", "AllowCloudFrontServicePrincipalSSE-KMS", "AuditReadOnly"} {
		start := strings.Index(src, `"Sid": "`+sid+`"`)
		end := start + strings.Index(src[start:], "\n    }")
		if !strings.Contains(out, src[start:end]) {
			t.Errorf("statement %q not kept verbatim", sid)
		}
	}
	if strings.Contains(out, "OldTranscoder") {
		t.Error("the old sseguard statement was kept")
	}
	if merged.ID != "key-policy-media" || merged.Version != Version2012 {
		t.Errorf("header: %q %q", merged.ID, merged.Version)
	}
	if fs := CheckKeyPolicy(merged, keyReq); len(fs) != 0 {
		t.Errorf("merged policy findings: %+v", fs)
	}
}

func TestMergeIdempotent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		base  *Document
		owned []Statement
	}{
		{"key policy", mustParse(t, readFixture(t, "key-policy-cloudfront-audit.json")), KeyStatements(keySpec)},
		{"bucket policy", mustParse(t, readFixture(t, "bucket-policy-cloudfront-oac.json")), BucketStatements(bucketSpecs["kms"])},
		{"none yet", nil, BucketStatements(bucketSpecs["aes256"])},
	} {
		once := Merge(tc.base, tc.owned)
		twice := Merge(once, tc.owned)
		a, err1 := once.JSON()
		b, err2 := twice.JSON()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("%s: Merge(Merge(x)) != Merge(x):\n%s", tc.name, diff)
		}
		if d := Diff(once, twice); len(d) != 0 {
			t.Errorf("%s: Diff of idempotent merge: %+v", tc.name, d)
		}
		// Round trip through text changes nothing either.
		if d := Diff(once, mustParse(t, a)); len(d) != 0 {
			t.Errorf("%s: Diff after parse: %+v", tc.name, d)
		}
	}
}

func TestMergeNeverRemovesRoot(t *testing.T) {
	t.Parallel()
	d := mustParse(t, readFixture(t, "console-default-key-policy.json"))
	merged := Merge(d, nil)
	if len(merged.Statements) != 4 {
		t.Errorf("Merge with nothing owned dropped foreign statements: %d", len(merged.Statements))
	}
	if fs := CheckKeyPolicy(merged, KeyRequirements{Account: acct}); len(fs) != 0 {
		t.Errorf("findings: %+v", fs)
	}
}

func TestDiff(t *testing.T) {
	t.Parallel()
	before := mustParse(t, readFixture(t, "key-policy-cloudfront-audit.json"))
	after := Merge(before, KeyStatements(KeyPolicySpec{Account: acct, Users: []string{transcoder}}))
	got := Diff(before, after)
	want := []StatementChange{
		{Sid: SidKeyUse, Kind: StatementReplaced, Owned: true, Summary: []string{
			"principal arn:aws:iam::111122223333:role/Elastic_Transcoder_Default_Role gains kms:Decrypt, kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey*, kms:ReEncrypt*",
			"principal arn:aws:iam::111122223333:role/OldTranscoder loses kms:Decrypt",
		}},
		{Sid: SidKeyGrants, Kind: StatementAdded, Owned: true, Summary: []string{
			"principal arn:aws:iam::111122223333:role/Elastic_Transcoder_Default_Role gains kms:CreateGrant, kms:ListGrants, kms:RevokeGrant when Bool kms:GrantIsForAWSResource true",
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	removed := Diff(mustParse(t, readFixture(t, "bucket-policy-cloudfront-oac.json")), Merge(mustParse(t, readFixture(t, "bucket-policy-cloudfront-oac.json")), nil))
	wantRemoved := []StatementChange{{Sid: "SseguardDenyOldRule", Kind: StatementRemoved, Owned: true, Summary: []string{
		"principal * is no longer denied s3:PutObject",
	}}}
	if diff := cmp.Diff(wantRemoved, removed); diff != "" {
		t.Errorf("Diff removed (-want +got):\n%s", diff)
	}
}

// A policy keeps its Version as found: without one, "${...}" in others' statements stays literal
// text, and writing 2012-10-17 would turn it into a policy variable.
func TestMergeKeepsVersionAsFound(t *testing.T) {
	t.Parallel()
	src := `{"Statement":[{"Sid":"Literal","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/R"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media-hls/${aws:username}/*"}]}`
	existing := mustParse(t, src)
	merged := Merge(existing, BucketStatements(bucketSpecs["kms"]))
	out, err := merged.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, `"Version"`) {
		t.Errorf("a Version was added:\n%s", out)
	}
	back := mustParse(t, out)
	if back.Version != "" || !strings.Contains(out, `"arn:aws:s3:::media-hls/${aws:username}/*"`) {
		t.Errorf("Version %q, output:\n%s", back.Version, out)
	}
	// Read as 2008-10-17, the text is literal: it matches the object of that exact name.
	r := Request{Principal: "arn:aws:iam::111122223333:role/R", Action: "s3:GetObject", Resource: "arn:aws:s3:::media-hls/${aws:username}/a"}
	if got := back.Explain(r, EvalOptions{}); got.Decision != Allow || len(got.Warnings) != 0 {
		t.Errorf("literal ${...} without Version: %+v", got)
	}
	for _, tc := range []struct {
		name string
		base *Document
		want string
	}{
		{"2008 kept", mustParse(t, readFixture(t, "bucket-policy-cloudfront-oac.json")), "2008-10-17"},
		{"2012 kept", mustParse(t, readFixture(t, "key-policy-cloudfront-audit.json")), Version2012},
		{"new document", nil, Version2012},
	} {
		m := Merge(tc.base, BucketStatements(bucketSpecs["aes256"]))
		out, err := m.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if m.Version != tc.want || !strings.Contains(out, `"Version": "`+tc.want+`"`) {
			t.Errorf("%s: Version %q\n%s", tc.name, m.Version, out)
		}
	}
	if v := KeyPolicy(keySpec).Version; v != Version2012 {
		t.Errorf("new key policy Version %q", v)
	}
}

// sseguard's own statements use no policy variables, so they mean the same under any Version.
func TestOwnStatementsUseNoPolicyVariables(t *testing.T) {
	t.Parallel()
	var all []Statement
	for _, p := range []string{"", "aws", "aws-cn", "aws-us-gov"} {
		for _, del := range []bool{false, true} {
			spec := KeyPolicySpec{Partition: p, Account: acct, Administrators: []string{keyAdmin}, Users: []string{transcoder}, AllowAdminDelete: del}
			all = append(all, KeyStatements(spec)...)
			all = append(all, KeyPolicy(spec).Statements...)
			all = append(all, RootStatement(p, acct))
		}
		for _, spec := range bucketSpecs {
			spec.Partition = p
			spec.KeyNames = namedSpec.KeyNames
			all = append(all, BucketStatements(spec)...)
		}
	}
	if len(all) == 0 {
		t.Fatal("no statements built")
	}
	for _, s := range all {
		if text := canonical(s); strings.Contains(text, "${") || strings.Contains(text, "$") {
			t.Errorf("statement %s holds a policy variable: %s", s.Sid, text)
		}
	}
}

func TestGrants(t *testing.T) {
	t.Parallel()
	got := KeyPolicy(keySpec).Grants()
	var summary []string
	for _, g := range got {
		var ps []string
		for _, p := range g.Principals {
			ps = append(ps, p.Type+":"+p.Value)
		}
		line := g.Statement.String() + " " + g.Effect + " " + strings.Join(ps, ",") + " -> " + strings.Join(g.Actions, ",")
		for _, c := range g.Conditions {
			line += " when " + c.Operator + " " + c.Key + "=" + strings.Join(c.Values, "|")
		}
		summary = append(summary, line)
	}
	want := []string{
		`"Enable IAM User Permissions" Allow AWS:arn:aws:iam::111122223333:root -> kms:*`,
		`"SseguardKeyAdministration" Allow AWS:` + keyAdmin + ` -> kms:Create*,kms:Describe*,kms:Enable*,kms:List*,kms:Put*,kms:Update*,kms:Revoke*,kms:Disable*,kms:Get*,kms:TagResource,kms:UntagResource,kms:CancelKeyDeletion,kms:RotateKeyOnDemand`,
		`"SseguardKeyAdministratorsMayNotDelete" Deny AWS:` + keyAdmin + ` -> kms:Delete*,kms:ScheduleKeyDeletion`,
		`"SseguardKeyUse" Allow AWS:` + transcoder + ` -> kms:Encrypt,kms:Decrypt,kms:ReEncrypt*,kms:GenerateDataKey*,kms:DescribeKey`,
		`"SseguardKeyPersistentResourceGrants" Allow AWS:` + transcoder + ` -> kms:CreateGrant,kms:ListGrants,kms:RevokeGrant when Bool kms:GrantIsForAWSResource=true`,
	}
	if diff := cmp.Diff(want, summary); diff != "" {
		t.Errorf("Grants (-want +got):\n%s", diff)
	}
	np := mustParse(t, doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333","Service":"s3.amazonaws.com"},"NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/*"}`, stmt("Allow", `"*"`, `"s3:GetObject"`, `"*"`, "")))
	g := np.Grants()
	wantNP := []Grant{
		{Statement: StatementRef{Index: 0}, Effect: EffectDeny, NotPrincipals: []PrincipalValue{{"AWS", "111122223333"}, {"Service", "s3.amazonaws.com"}},
			NotActions: []string{"s3:Get*"}, NotResources: []string{"arn:aws:s3:::b/*"}},
		{Statement: StatementRef{Index: 1}, Effect: EffectAllow, Principals: []PrincipalValue{{"*", "*"}}, Actions: []string{"s3:GetObject"}, Resources: []string{"*"}},
	}
	if diff := cmp.Diff(wantNP, g); diff != "" {
		t.Errorf("Grants (-want +got):\n%s", diff)
	}
	var nilDoc *Document
	if nilDoc.Grants() != nil {
		t.Error("nil document has grants")
	}
}
