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
		if string(merged.Statements[i].Raw()) != string(existing.Statements[i].Raw()) || merged.Statements[i].Raw() == nil {
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
