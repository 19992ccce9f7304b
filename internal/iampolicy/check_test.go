package iampolicy

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func codes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

var keySpec = KeyPolicySpec{Account: acct, Administrators: []string{keyAdmin}, Users: []string{transcoder}}

var keyReq = KeyRequirements{Account: acct, KeyARN: keyARN, Users: []string{transcoder}, Administrators: []string{keyAdmin}}

func TestKeyPolicyPassesCheck(t *testing.T) {
	t.Parallel()
	for _, allowDelete := range []bool{false, true} {
		spec, req := keySpec, keyReq
		spec.AllowAdminDelete, req.AllowAdminDelete = allowDelete, allowDelete
		// Duplicates and order do not matter: principals are sorted and de-duplicated.
		spec.Users = []string{transcoder, "arn:aws:iam::111122223333:role/A", transcoder}
		req.Users = append(req.Users, "arn:aws:iam::111122223333:role/A")
		d := KeyPolicy(spec)
		if fs := CheckKeyPolicy(d, req); len(fs) != 0 {
			t.Errorf("AllowAdminDelete=%v: findings %+v", allowDelete, fs)
		}
		if got := d.Statements[len(d.Statements)-1].Principal.AWS; !slices.Equal(got, []string{"arn:aws:iam::111122223333:role/A", transcoder}) {
			t.Errorf("principals not sorted/deduplicated: %v", got)
		}
	}
}

func TestKeyStatementsOmitEmpty(t *testing.T) {
	t.Parallel()
	if got := KeyStatements(KeyPolicySpec{Account: acct}); len(got) != 0 {
		t.Errorf("no principals: %d statements, want 0", len(got))
	}
	got := KeyStatements(KeyPolicySpec{Account: acct, Users: []string{transcoder}})
	if len(got) != 2 || got[0].Sid != SidKeyUse || got[1].Sid != SidKeyGrants {
		t.Errorf("users only: %+v", got)
	}
	for _, s := range append(got, KeyStatements(KeyPolicySpec{Administrators: []string{keyAdmin}})...) {
		if !s.Owned() {
			t.Errorf("statement %q is not recognisably sseguard's", s.Sid)
		}
	}
}

func TestCheckKeyPolicy(t *testing.T) {
	t.Parallel()
	root := stmt("Allow", `{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`, `"*"`, "")
	denyDelete := stmt("Deny", `{"AWS":"`+keyAdmin+`"}`, `["kms:Delete*","kms:ScheduleKeyDeletion"]`, `"*"`, "")
	admin := stmt("Allow", `{"AWS":"`+keyAdmin+`"}`, `["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:TagResource","kms:UntagResource","kms:CancelKeyDeletion","kms:RotateKeyOnDemand"]`, `"*"`, "")
	grants := stmt("Allow", `{"AWS":["`+transcoder+`"]}`, `["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"]`, `"*"`, `{"Bool":{"kms:GrantIsForAWSResource":true}}`)
	use := stmt("Allow", `{"AWS":"`+transcoder+`"}`, `["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"]`, `"*"`, "")
	tests := map[string]struct {
		policy string
		want   []string
	}{
		"complete":                                     {doc(root, admin, denyDelete, use, grants), nil},
		"transcoder given kms:* is fine":               {doc(root, admin, denyDelete, stmt("Allow", `{"AWS":["`+transcoder+`"]}`, `"kms:*"`, `"*"`, "")), nil},
		"principal as {AWS: [one]} and Action *":       {doc(root, admin, denyDelete, stmt("Allow", `{"AWS":["`+transcoder+`"]}`, `"*"`, `"*"`, "")), nil},
		"use missing":                                  {doc(root, admin, denyDelete, grants), []string{CodeUserMissingUse}},
		"partial use":                                  {doc(root, admin, denyDelete, grants, stmt("Allow", `{"AWS":"`+transcoder+`"}`, `["kms:Decrypt","kms:GenerateDataKey"]`, `"*"`, "")), []string{CodeUserMissingUse}},
		"grant missing":                                {doc(root, admin, denyDelete, use), []string{CodeUserMissingGrant}},
		"grant under another condition":                {doc(root, admin, denyDelete, use, stmt("Allow", `{"AWS":"`+transcoder+`"}`, `"kms:CreateGrant"`, `"*"`, `{"StringEquals":{"kms:GranteePrincipal":"x"}}`)), []string{CodeUserMissingGrant}},
		"explicit deny on Decrypt":                     {doc(root, admin, denyDelete, use, grants, `{"Sid":"NoDecrypt","Effect":"Deny","Principal":{"AWS":"`+transcoder+`"},"Action":"kms:Decrypt","Resource":"*"}`), []string{CodeUserDenied}},
		"root only: IAM delegation is no grant":        {doc(root), []string{CodeUserMissingUse, CodeUserMissingGrant, CodeAdminMissing, CodeAdminCanDelete}},
		"console default lets admin delete":            {readFixture(t, "console-default-key-policy.json"), []string{CodeAdminCanDelete}},
		"not denied, not allowed: IAM can still grant": {doc(root, admin, use, grants), []string{CodeAdminCanDelete}},
		"deny to the whole account also guarantees":    {doc(root, admin, use, grants, stmt("Deny", `{"AWS":"111122223333"}`, `["kms:Delete*","kms:ScheduleKeyDeletion"]`, `"*"`, "")), []string{CodeRootMissing}},
		"conditional deny is no guarantee":             {doc(root, admin, use, grants, stmt("Deny", `{"AWS":"`+keyAdmin+`"}`, `["kms:Delete*","kms:ScheduleKeyDeletion"]`, `"*"`, `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`)), []string{CodeAdminCanDelete}},
		"public key":                                   {doc(root, admin, denyDelete, use, grants, stmt("Allow", `"*"`, `"kms:Decrypt"`, `"*"`, "")), []string{CodePublicKey}},
		"public via AWS star":                          {doc(root, admin, denyDelete, use, grants, stmt("Allow", `{"AWS":"*"}`, `"kms:*"`, `"*"`, "")), []string{CodePublicKey}},
		"star limited to the account is not public":    {doc(root, admin, denyDelete, use, grants, stmt("Allow", `"*"`, `"kms:Decrypt"`, `"*"`, `{"StringEquals":{"kms:CallerAccount":"111122223333"}}`)), nil},
		"root missing":                                 {doc(admin, denyDelete, use, grants), []string{CodeRootMissing}},
		"unknown operator in a deny":                   {doc(root, admin, denyDelete, use, grants, stmt("Deny", `{"AWS":"`+transcoder+`"}`, `"kms:Decrypt"`, `"*"`, `{"StringSortOf":{"k":"v"}}`)), []string{CodeUserDenied, CodeUnjudged}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fs := CheckKeyPolicy(mustParse(t, tc.policy), keyReq)
			if diff := cmp.Diff(tc.want, codes(fs)); diff != "" {
				t.Errorf("codes (-want +got):\n%s\nfindings: %+v", diff, fs)
			}
		})
	}
}

func TestCheckKeyPolicyMessages(t *testing.T) {
	t.Parallel()
	d := mustParse(t, readFixture(t, "console-default-key-policy.json"))
	d.Statements = append(d.Statements, mustParse(t, doc(`{"Sid":"NoDecrypt","Effect":"Deny","Principal":{"AWS":"`+transcoder+`"},"Action":"kms:Decrypt","Resource":"*"}`)).Statements...)
	req := keyReq
	req.AllowAdminDelete = true
	fs := CheckKeyPolicy(d, req)
	if len(fs) != 1 {
		t.Fatalf("findings: %+v", fs)
	}
	f := fs[0]
	if f.Code != CodeUserDenied || !f.Blocker || f.Sid != `"NoDecrypt"` || !slices.Equal(f.Actions, []string{"kms:Decrypt"}) || f.Principal != transcoder || !strings.Contains(f.Message, "NoDecrypt") {
		t.Errorf("finding: %+v", f)
	}
	fs = CheckKeyPolicy(mustParse(t, doc(stmt("Allow", `{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`, `"*"`, ""), stmt("Allow", `{"AWS":"`+transcoder+`"}`, `["kms:Encrypt","kms:Decrypt"]`, `"*"`, ""))), KeyRequirements{Account: acct, Users: []string{transcoder}})
	if len(fs) != 2 || fs[0].Code != CodeUserMissingUse || !slices.Contains(fs[0].Actions, "kms:ReEncryptFrom") || slices.Contains(fs[0].Actions, "kms:Decrypt") {
		t.Errorf("missing use: %+v", fs)
	}
}

var bucketSpecs = map[string]BucketSpec{
	"kms":        {Bucket: bucketName, Algorithm: AlgorithmKMS, KeyARN: keyARN, EnforceOnUpload: true, RequireTLS: true},
	"aes256":     {Bucket: bucketName, Algorithm: AlgorithmAES256, EnforceOnUpload: true, RequireTLS: true},
	"tls only":   {Bucket: bucketName, Algorithm: AlgorithmKMS, KeyARN: keyARN, RequireTLS: true},
	"uploads":    {Bucket: bucketName, Algorithm: AlgorithmKMS, KeyARN: keyARN, EnforceOnUpload: true},
	"no demands": {Bucket: bucketName, Algorithm: AlgorithmAES256},
}

func TestBucketStatementsMergedPassCheck(t *testing.T) {
	t.Parallel()
	existing := mustParse(t, readFixture(t, "bucket-policy-cloudfront-oac.json"))
	for name, spec := range bucketSpecs {
		for _, base := range []*Document{nil, existing} {
			merged := Merge(base, BucketStatements(spec))
			if fs := CheckBucketPolicy(merged, spec); len(fs) != 0 {
				t.Errorf("%s (existing=%v): findings %+v", name, base != nil, fs)
			}
		}
	}
	// The fixture's old Sseguard statement (StringNotEquals without a Null check) is the classic
	// mistake; the check sees it before the merge replaces it.
	fs := CheckBucketPolicy(existing, bucketSpecs["aes256"])
	if !slices.Contains(codes(fs), CodeHeaderlessDenied) {
		t.Errorf("old statement: %v", codes(fs))
	}
}

// Removing any one owned statement makes the check name exactly that protection and Sid.
func TestCheckBucketPolicyNamesMissingStatement(t *testing.T) {
	t.Parallel()
	wantCode := map[string]string{
		SidDenyWrongEncryption:   CodeWrongEncryption,
		SidDenyWrongKMSKey:       CodeWrongKey,
		SidDenyKMSWithoutKey:     CodeKMSWithoutKey,
		SidDenyInsecureTransport: CodeInsecureTransport,
	}
	existing := mustParse(t, readFixture(t, "bucket-policy-cloudfront-oac.json"))
	for name, spec := range bucketSpecs {
		owned := BucketStatements(spec)
		for i, s := range owned {
			rest := slices.Delete(slices.Clone(owned), i, i+1)
			fs := CheckBucketPolicy(Merge(existing, rest), spec)
			if len(fs) != 1 || fs[0].Sid != s.Sid || fs[0].Code != wantCode[s.Sid] || fs[0].Blocker {
				t.Errorf("%s without %s: findings %+v", name, s.Sid, fs)
			}
		}
	}
}

func TestCheckBucketPolicyClassicMistake(t *testing.T) {
	t.Parallel()
	d := mustParse(t, readFixture(t, "bucket-policy-classic-mistake.json"))
	spec := BucketSpec{Bucket: bucketName, Algorithm: AlgorithmKMS, KeyARN: keyARN}
	fs := CheckBucketPolicy(d, spec)
	if len(fs) != 1 || fs[0].Code != CodeHeaderlessDenied || !fs[0].Blocker || !strings.Contains(fs[0].Sid, "DenyIncorrectEncryptionHeader") {
		t.Errorf("findings: %+v", fs)
	}
	// A Deny with StringNotEqualsIfExists is the same mistake.
	d = mustParse(t, doc(stmt("Deny", `"*"`, `"s3:PutObject"`, `"arn:aws:s3:::media-hls/*"`, `{"StringNotEqualsIfExists":{"s3:x-amz-server-side-encryption":"aws:kms"}}`)))
	if got := codes(CheckBucketPolicy(d, spec)); !slices.Equal(got, []string{CodeHeaderlessDenied}) {
		t.Errorf("IfExists: %v", got)
	}
	if got := codes(CheckBucketPolicy(nil, bucketSpecs["kms"])); !slices.Equal(got, []string{CodeWrongEncryption, CodeWrongKey, CodeKMSWithoutKey, CodeInsecureTransport}) {
		t.Errorf("no policy: %v", got)
	}
	// A Deny on every plain request, including over TLS, is reported too.
	d = mustParse(t, doc(stmt("Deny", `"*"`, `"s3:*"`, `["arn:aws:s3:::media-hls","arn:aws:s3:::media-hls/*"]`, `{"BoolIfExists":{"aws:SecureTransport":"true"}}`)))
	if got := codes(CheckBucketPolicy(d, bucketSpecs["tls only"])); !slices.Contains(got, CodeSecureRequestDenied) {
		t.Errorf("deny over TLS: %v", got)
	}
}
