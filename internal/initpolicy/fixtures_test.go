package initpolicy

import (
	"fmt"
	"testing"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/state"
)

// Literal accounts, keys and buckets for the builder's tests: no AWS.

const (
	home    = "111122223333"
	foreign = "444455556666"
	region  = "us-east-1"
)

func keyARN(acct, id string) string { return keyARNIn(region, acct, id) }

func keyARNIn(reg, acct, id string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", reg, acct, id)
}

func role(name string) string { return "arn:aws:iam::" + home + ":role/" + name }

func on() *bool  { v := true; return &v }
func off() *bool { v := false; return &v }

// keyPolicy is a console-shaped key policy: the root statement, and the use and grant statements
// for users.
func keyPolicy(t *testing.T, users ...string) string {
	t.Helper()
	text, err := iampolicy.KeyPolicy(iampolicy.KeyPolicySpec{Partition: "aws", Account: home, Users: users}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// useOnlyPolicy lets user use the key but not create grants.
func useOnlyPolicy(user string) string {
	return `{"Version":"2012-10-17","Statement":[
 {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + home + `:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"Use","Effect":"Allow","Principal":{"AWS":"` + user + `"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}]}`
}

// customerKey is an enabled symmetric customer managed key of the home account.
func customerKey(id, desc string, rotation *bool, policy string, aliases ...string) *Key {
	return &Key{Key: state.Key{Found: true, ARN: keyARN(home, id), ID: id, Account: home, Region: region, State: "Enabled",
		Manager: "CUSTOMER", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT", Origin: "AWS_KMS", Description: desc,
		Policy: policy, Rotation: rotation}, Aliases: aliases}
}

// bucketPolicy is sseguard's own bucket policy statements for spec, plus extra statements.
func bucketPolicy(t *testing.T, spec iampolicy.BucketSpec, extra ...iampolicy.Statement) string {
	t.Helper()
	spec.Partition = "aws"
	doc := &iampolicy.Document{Version: iampolicy.Version2012, Statements: append(iampolicy.BucketStatements(spec), extra...)}
	text, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// ownStatements is a bucket policy with sseguard's statements under the account's own Sids: the
// same protection, written by someone else.
func ownStatements(t *testing.T, spec iampolicy.BucketSpec) string {
	t.Helper()
	spec.Partition = "aws"
	sts := iampolicy.BucketStatements(spec)
	for i := range sts {
		sts[i].Sid = fmt.Sprintf("TeamRule%d", i)
	}
	text, err := (&iampolicy.Document{Version: iampolicy.Version2012, Statements: sts}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func oaiGrant(bucket string) iampolicy.Statement {
	return iampolicy.Statement{Sid: "CloudFront", Effect: iampolicy.EffectAllow,
		Principal: &iampolicy.Principal{AWS: []string{"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"}},
		Action:    []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::" + bucket + "/*"}}
}

func kmsRule(key *Key, ref string, bucketKey bool) *state.Rule {
	if ref == "" && key != nil {
		ref = key.ARN
	}
	return &state.Rule{Algorithm: algKMS, KeyRef: ref, BucketKey: bucketKey, BlockedEncryptionTypes: []string{"SSE-C"}}
}

// account is a snapshot with a bucket in every state init decides about.
func account(t *testing.T) *Snapshot {
	media := customerKey("1111aaaa-1111-1111-1111-111111111111", "Videos on example.com", on(), keyPolicy(t, role("Transcoder")), "alias/media")
	archive := customerKey("2222aaaa-2222-2222-2222-222222222222", "Masters archive", off(), keyPolicy(t, role("EncoderA"), role("EncoderB")), "alias/archive", "alias/archive-legacy")
	archive.Region, archive.ARN = "eu-west-1", keyARNIn("eu-west-1", home, archive.ID)
	noAlias := customerKey("3333aaaa-3333-3333-3333-333333333333", "", on(), keyPolicy(t))
	noAliasNoRot := customerKey("4444aaaa-4444-4444-4444-444444444444", "", off(), keyPolicy(t))
	partial := customerKey("5555aaaa-5555-5555-5555-555555555555", "", on(), useOnlyPolicy(role("Reader")), "alias/partial")
	pending := customerKey("6666aaaa-6666-6666-6666-666666666666", "", on(), keyPolicy(t), "alias/old")
	pending.State = "PendingDeletion"
	awsS3 := &Key{Key: state.Key{Found: true, ARN: keyARN(home, "7777aaaa-7777-7777-7777-777777777777"), ID: "7777aaaa-7777-7777-7777-777777777777",
		Account: home, Region: region, State: "Enabled", Manager: "AWS", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT"}, Aliases: []string{"alias/aws/s3"}}
	other := &Key{Key: state.Key{Found: true, ARN: keyARN(foreign, "8888aaaa-8888-8888-8888-888888888888"), ID: "8888aaaa-8888-8888-8888-888888888888",
		Account: foreign, Region: region, State: "Enabled", Manager: "CUSTOMER", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT"}}
	imported := customerKey("9999aaaa-9999-9999-9999-999999999999", "", nil, keyPolicy(t), "alias/imported")
	imported.Origin = "EXTERNAL"

	aes := &state.Rule{Algorithm: algAES256, BlockedEncryptionTypes: []string{"SSE-C"}}
	return &Snapshot{Account: home, Partition: "aws", Region: region, Buckets: []Bucket{
		{Name: "a-plain", Region: region, Encryption: &state.Rule{Algorithm: algAES256}},
		{Name: "b-aes-enforced", Region: region, Encryption: aes,
			Policy: bucketPolicy(t, iampolicy.BucketSpec{Bucket: "b-aes-enforced", Algorithm: algAES256, EnforceOnUpload: true, RequireTLS: true})},
		{Name: "c-media", Region: region, Encryption: kmsRule(media, "", true), Key: media,
			Policy: bucketPolicy(t, iampolicy.BucketSpec{Bucket: "c-media", Algorithm: algKMS, KeyARN: media.ARN,
				KeyNames: iampolicy.KeyNamesOf(media.ARN, "alias/media"), EnforceOnUpload: true, RequireTLS: true}, oaiGrant("c-media"))},
		{Name: "d-archive", Region: "eu-west-1", Encryption: kmsRule(archive, "", false), Key: archive},
		{Name: "e-no-alias", Region: region, Encryption: kmsRule(noAlias, "", true), Key: noAlias},
		{Name: "f-no-alias-no-rotation", Region: region, Encryption: kmsRule(noAliasNoRot, "", true), Key: noAliasNoRot},
		{Name: "g-aws-managed-implicit", Region: region, Encryption: &state.Rule{Algorithm: algKMS}},
		{Name: "h-aws-managed", Region: region, Encryption: kmsRule(awsS3, "", false), Key: awsS3},
		{Name: "i-other-account", Region: region, Encryption: kmsRule(other, "", true), Key: other},
		{Name: "j-dsse", Region: region, Encryption: &state.Rule{Algorithm: algDSSE, KeyRef: media.ARN}, Key: media},
		{Name: "k-unreadable", Region: region, Err: "read default encryption: operation error S3: GetBucketEncryption, https response error StatusCode: 403, api error AccessDenied: Access Denied"},
		{Name: "l-pending", Region: region, Encryption: kmsRule(pending, "", true), Key: pending},
		{Name: "m-rule-by-alias", Region: region, Encryption: kmsRule(media, "alias/media", true), Key: media},
		{Name: "n-partial", Region: region, Encryption: kmsRule(partial, "", true), Key: partial},
		{Name: "o-imported", Region: region, Encryption: kmsRule(imported, "", true), Key: imported},
		{Name: "Legacy_Bucket", Region: region},
		{Name: "p-stale-statements", Region: region, Encryption: &state.Rule{Algorithm: algAES256},
			Policy: bucketPolicy(t, iampolicy.BucketSpec{Bucket: "p-stale-statements", Algorithm: algAES256, EnforceOnUpload: true})},
		{Name: "q-enforced-sse-c-open", Region: region, Encryption: &state.Rule{Algorithm: algAES256},
			Policy: ownStatements(t, iampolicy.BucketSpec{Bucket: "q-enforced-sse-c-open", Algorithm: algAES256, EnforceOnUpload: true})},
		{Name: "r-never-configured", Region: region},
	}}
}
