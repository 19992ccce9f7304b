package apply_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sseguard/sseguard/internal/apply"
	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/motoserver"
	"github.com/sseguard/sseguard/internal/plan"
)

type clients struct{ c *awsclient.Clients }

func (c clients) S3(r string) apply.S3API   { return c.c.S3(r) }
func (c clients) KMS(r string) apply.KMSAPI { return c.c.KMS(r) }

// A change that fails skips the changes that depend on it, runs the rest, and says exactly what
// happened to each; a key created before its alias failed is reported with its ARN (it is never
// deleted).
func TestApplyReportsEveryChangeAndSkipsDependents(t *testing.T) {
	srv := motoserver.ForTest(t)
	ctx := context.Background()
	c, err := awsclient.ForEndpoint(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"media-hls", "thumbs"} {
		if _, err := c.S3("us-east-1").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	// Someone else takes the alias between plan and apply.
	other, _ := c.KMS("us-east-1").CreateKey(ctx, &kms.CreateKeyInput{})
	if _, err := c.KMS("us-east-1").CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/race"), TargetKeyId: other.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Changes: []plan.Change{
		{ID: "create-key/us-east-1/alias/race", Kind: plan.CreateKey, Alias: "alias/race", Region: "us-east-1",
			Key: &plan.NewKey{Alias: "alias/race", Description: "d"}},
		{ID: "set-default-encryption/media-hls", Kind: plan.SetDefaultEncryption, Bucket: "media-hls", Region: "us-east-1",
			Rule: &plan.Rule{Algorithm: plan.AlgKMS, Alias: "alias/race", BucketKey: true}, DependsOn: []string{"create-key/us-east-1/alias/race"}},
		{ID: "set-default-encryption/thumbs", Kind: plan.SetDefaultEncryption, Bucket: "thumbs", Region: "us-east-1",
			Rule: &plan.Rule{Algorithm: plan.AlgAES256}},
	}}
	var log bytes.Buffer
	results := (&apply.Applier{Clients: clients{c}, Log: &log}).Apply(ctx, p)
	if len(results) != 3 {
		t.Fatalf("%d results for 3 changes", len(results))
	}
	if r := results[0]; r.Outcome != plan.Failed || !strings.Contains(r.Error, "AlreadyExists") ||
		!strings.Contains(r.Error, "left in place") || !strings.HasPrefix(r.Detail, "arn:aws:kms:us-east-1:") {
		t.Errorf("create-key result = %+v, want failed with the AWS error and the new key's ARN", r)
	}
	if r := results[1]; r.Outcome != plan.Skipped || !strings.Contains(r.Error, "create-key/us-east-1/alias/race") {
		t.Errorf("dependent result = %+v, want skipped naming the failed change", r)
	}
	if r := results[2]; r.Outcome != plan.Done {
		t.Errorf("unrelated change = %+v, want done", r)
	}
	if _, err := c.S3("us-east-1").GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("media-hls")}); err == nil {
		t.Error("media-hls got an encryption rule although its key change failed")
	}
	for _, id := range []string{"failed", "skipped", "done"} {
		if !strings.Contains(log.String(), id) {
			t.Errorf("log lacks a %s line:\n%s", id, log.String())
		}
	}
	// Nothing was deleted: both keys are there.
	keys, _ := c.KMS("us-east-1").ListKeys(ctx, &kms.ListKeysInput{})
	if len(keys.Keys) != 2 {
		t.Errorf("%d keys, want 2 (the other one and the one created before the alias failed)", len(keys.Keys))
	}
}

// A key an earlier run created but could not name (tagged with its alias, no alias) is adopted,
// not duplicated.
func TestCreateKeyAdoptsAnEarlierRunsUnnamedKey(t *testing.T) {
	srv := motoserver.ForTest(t)
	ctx := context.Background()
	c, err := awsclient.ForEndpoint(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	kc := c.KMS("us-east-1")
	// Decoys: a tagged key that already has an alias, and one tagged for another alias.
	for _, tag := range []string{"alias/media", "alias/other"} {
		k, _ := kc.CreateKey(ctx, &kms.CreateKeyInput{Tags: []kmstypes.Tag{{TagKey: aws.String(apply.AliasTag), TagValue: aws.String(tag)}}})
		if tag == "alias/media" {
			kc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/elsewhere"), TargetKeyId: k.KeyMetadata.KeyId})
		}
	}
	orphan, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("from a run that failed"),
		Tags: []kmstypes.Tag{{TagKey: aws.String(apply.AliasTag), TagValue: aws.String("alias/media")}}})
	if err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`
	p := &plan.Plan{Changes: []plan.Change{{ID: "create-key/us-east-1/alias/media", Kind: plan.CreateKey, Alias: "alias/media",
		Region: "us-east-1", Key: &plan.NewKey{Alias: "alias/media", Description: "d", Policy: policy}},
		{ID: "enable-key-rotation/us-east-1/alias/media", Kind: plan.EnableKeyRotation, Alias: "alias/media", Region: "us-east-1",
			DependsOn: []string{"create-key/us-east-1/alias/media"}}}}
	results := (&apply.Applier{Clients: clients{c}}).Apply(ctx, p)
	if r := results[1]; r.Outcome != plan.Done {
		t.Errorf("rotation of the adopted key: %+v", r)
	}
	if r := results[0]; r.Outcome != plan.Done || !strings.Contains(r.Detail, "adopted") || !strings.HasPrefix(r.Detail, aws.ToString(orphan.KeyMetadata.Arn)) {
		t.Fatalf("result = %+v, want the unnamed key %s adopted", r, aws.ToString(orphan.KeyMetadata.Arn))
	}
	d, err := kc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/media")})
	if err != nil || aws.ToString(d.KeyMetadata.KeyId) != aws.ToString(orphan.KeyMetadata.KeyId) {
		t.Fatalf("alias/media → %v (%v), want the adopted key", d, err)
	}
	keys, _ := kc.ListKeys(ctx, &kms.ListKeysInput{})
	if len(keys.Keys) != 3 {
		t.Errorf("%d keys, want 3: no new key when one can be adopted", len(keys.Keys))
	}
	got, _ := kc.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: orphan.KeyMetadata.KeyId, PolicyName: aws.String("default")})
	if !strings.Contains(aws.ToString(got.Policy), "Enable IAM User Permissions") {
		t.Errorf("adopted key policy = %s, want the planned one", aws.ToString(got.Policy))
	}
	rot, _ := kc.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: orphan.KeyMetadata.KeyId})
	if !rot.KeyRotationEnabled {
		t.Error("rotation not enabled on the adopted key")
	}
}

// A key tagged for the alias but not exactly what sseguard creates (someone planted it, or changed
// it since) is not adopted: a new key is created and the result says which key was passed over
// and why.
func TestCreateKeyDoesNotAdoptAPlantedKey(t *testing.T) {
	srv := motoserver.ForTest(t)
	ctx := context.Background()
	c, err := awsclient.ForEndpoint(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	kc := c.KMS("us-east-1")
	tag := []kmstypes.Tag{{TagKey: aws.String(apply.AliasTag), TagValue: aws.String("alias/media")}}
	// A statement sseguard never writes: an outsider may decrypt.
	planted := `{"Version":"2012-10-17","Statement":[
{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
{"Sid":"Backdoor","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"kms:Decrypt","Resource":"*"}]}`
	k1, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(planted), Tags: tag})
	if err != nil {
		t.Fatal(err)
	}
	// A key with a grant to someone.
	k2, _ := kc.CreateKey(ctx, &kms.CreateKeyInput{Tags: tag})
	if _, err := kc.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k2.KeyMetadata.KeyId, GranteePrincipal: aws.String("arn:aws:iam::123456789012:role/Someone"),
		Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}}); err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Changes: []plan.Change{{ID: "create-key/us-east-1/alias/media", Kind: plan.CreateKey, Alias: "alias/media",
		Region: "us-east-1", Key: &plan.NewKey{Alias: "alias/media", Description: "d"}}}}
	r := (&apply.Applier{Clients: clients{c}}).Apply(ctx, p)[0]
	if r.Outcome != plan.Done {
		t.Fatalf("result = %+v", r)
	}
	for _, want := range []string{aws.ToString(k1.KeyMetadata.KeyId), "Backdoor", aws.ToString(k2.KeyMetadata.KeyId), "grant"} {
		if !strings.Contains(r.Detail, want) {
			t.Errorf("result detail %q does not name %q", r.Detail, want)
		}
	}
	d, err := kc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/media")})
	if err != nil {
		t.Fatal(err)
	}
	if id := aws.ToString(d.KeyMetadata.KeyId); id == aws.ToString(k1.KeyMetadata.KeyId) || id == aws.ToString(k2.KeyMetadata.KeyId) {
		t.Errorf("alias/media points at a planted key %s", id)
	}
}

// A policy someone edited after the plan read it is not overwritten; a policy that held only
// sseguard's statements is deleted rather than written empty (S3 refuses an empty statement list).
func TestBucketPolicyIsReadAgainAndDeletedNotEmptied(t *testing.T) {
	srv := motoserver.ForTest(t)
	ctx := context.Background()
	c, err := awsclient.ForEndpoint(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	s3c := c.S3("us-east-1")
	planned := `{"Version":"2012-10-17","Statement":[{"Sid":"SseguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:GetBucketPolicy","Resource":"arn:aws:s3:::bucket-a","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	edited := `{"Version":"2012-10-17","Statement":[{"Sid":"TheirEdit","Effect":"Deny","Principal":"*","Action":"s3:GetBucketPolicy","Resource":"arn:aws:s3:::bucket-b","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	for b, pol := range map[string]string{"bucket-a": planned, "bucket-b": edited} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b), Policy: aws.String(pol)}); err != nil {
			t.Fatal(err)
		}
	}
	p := &plan.Plan{Changes: []plan.Change{
		{ID: "update-bucket-policy/bucket-a", Kind: plan.UpdateBucketPolicy, Bucket: "bucket-a", Region: "us-east-1", DeleteDocument: true, ObservedDocument: planned},
		// Planned from what was there before "TheirEdit".
		{ID: "update-bucket-policy/bucket-b", Kind: plan.UpdateBucketPolicy, Bucket: "bucket-b", Region: "us-east-1", Document: planned, ObservedDocument: ""},
	}}
	results := (&apply.Applier{Clients: clients{c}, Owner: motoserver.Account}).Apply(ctx, p)
	if r := results[0]; r.Outcome != plan.Done || !strings.Contains(r.Detail, "deleted") {
		t.Errorf("a: %+v", r)
	}
	if _, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("bucket-a")}); err == nil || !strings.Contains(err.Error(), "NoSuchBucketPolicy") {
		t.Errorf("a's policy is still there: %v", err)
	}
	if r := results[1]; r.Outcome != plan.Failed || !strings.Contains(r.Error, "changed since the plan") {
		t.Errorf("b: %+v, want failed: edited since the plan", r)
	}
	got, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("bucket-b")})
	if err != nil || !strings.Contains(aws.ToString(got.Policy), "TheirEdit") {
		t.Errorf("b's policy was overwritten: %v %v", got, err)
	}
}
