package awstest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Rule 14: a reader of another account reads an SSE-KMS object only when the bucket policy and
// the key policy (of the resource's account) allow it or its account and its own identity policy
// allows it too; moto alone hands the object over whatever the policies say.
func TestCrossAccountReadNeedsBothAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := newLayer(t, Options{})
	moto, admin := both(l, "testing")
	const partner = "444455556666"

	bucket := unique("shared")
	mustBucket(t, admin, bucket)
	keyARN := mustKey(t, admin, "")
	if _, err := admin.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(bucket),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyARN)},
			BucketKeyEnabled:                   aws.Bool(true)}}}}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, admin, bucket, "video.ts", "frames")

	// The reader: a role of the partner account, set up there, held to its own IAM policy.
	setup, err := sessionClients(ctx, moto, l.URL, "arn:aws:iam::"+partner+":role/setup", "")
	if err != nil {
		t.Fatal(err)
	}
	role := unique("player")
	roleARN := fmt.Sprintf("arn:aws:iam::%s:role/%s", partner, role)
	if _, err := setup.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + partner + `:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	readerPolicy := func(kms bool) string {
		p := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}`
		if kms {
			p += `,{"Effect":"Allow","Action":"kms:Decrypt","Resource":"` + keyARN + `","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}`
		}
		return p + `]}`
	}
	if err := l.SetRolePolicy(roleARN, readerPolicy(true)); err != nil {
		t.Fatal(err)
	}
	viaMoto, err := sessionClients(ctx, moto, l.Upstream(), roleARN, "")
	if err != nil {
		t.Fatal(err)
	}
	reader, err := sessionClients(ctx, setup, l.URL, roleARN, "")
	if err != nil {
		t.Fatal(err)
	}
	read := func(c clients) error {
		out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("video.ts")})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		_, err = io.ReadAll(out.Body)
		return err
	}
	if err := read(viaMoto); err != nil {
		t.Fatalf("moto alone refused the partner's read: %v (the rule exists because moto allows it)", err)
	}
	refused := func(step, kind string) {
		t.Helper()
		err := read(reader)
		if errorCode(err) != "AccessDenied" {
			t.Errorf("%s: the partner's read answered %v, want AccessDenied", step, err)
			return
		}
		if msg := errorMessage(err); kind != "" && !strings.Contains(msg, kind) {
			t.Errorf("%s: refusal %q does not say %q", step, msg, kind)
		}
	}
	sharedPolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"PartnerRead","Effect":"Allow","Principal":{"AWS":"` + roleARN +
		`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
	keyPolicy := func(principal string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}` +
			`,{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"kms:Decrypt","Resource":"*"}]}`
	}
	putKeyPolicy := func(p string) {
		t.Helper()
		if _, err := admin.kms.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default"), Policy: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}

	refused("no bucket policy", "no resource-based policy allows the s3:GetObject action")
	if err := putPolicy(admin, bucket, sharedPolicy); err != nil {
		t.Fatal(err)
	}
	// S3 now lets the partner read; the key, whose policy only delegates to the home account's
	// IAM policies, does not let it decrypt, whatever the partner's own IAM policy says.
	refused("bucket policy, default key policy", "kms:Decrypt")
	putKeyPolicy(keyPolicy(roleARN))
	if err := read(reader); err != nil {
		t.Errorf("bucket policy and key policy allow the role: %v", err)
	}
	putKeyPolicy(keyPolicy("arn:aws:iam::" + partner + ":root"))
	if err := read(reader); err != nil {
		t.Errorf("the key policy allows the partner account, whose IAM policy allows the role: %v", err)
	}
	// Both sides are needed: the key policy allows it, its own IAM policy no longer does.
	if err := l.SetRolePolicy(roleARN, readerPolicy(false)); err != nil {
		t.Fatal(err)
	}
	l.keys.clear()
	refused("key policy alone", "identity-based policy")
}
