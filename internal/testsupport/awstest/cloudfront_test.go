package awstest

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestKeyPolicyServicePrincipal: a key policy may name an AWS service principal. KMS validates
// principals ("Why do I get 'invalid principals' when I change my AWS KMS key policy?",
// https://repost.aws/knowledge-center/kms-policy-error-invalid-principals: for a service that
// calls KMS directly the Principal element holds its service principal), and CloudFront's origin
// access control is such a service: "Restrict access to an Amazon S3 origin"
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html)
// gives the key policy statement for cloudfront.amazonaws.com conditioned on AWS:SourceArn.
// Neither moto nor the layer refuses it, as AWS does not: no rule is needed, and this test keeps
// it so (the layer's principal check covers "AWS" principals only).
func TestKeyPolicyServicePrincipal(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	ctx := context.Background()
	policy := `{"Version":"2012-10-17","Statement":[
 {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"SseguardCloudFrontOriginAccessControl","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},
  "Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey*"],"Resource":"*",
  "Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::123456789012:distribution/EDFDVBD632BHDS5"}}}]}`
	for name, c := range map[string]clients{"moto": moto, "layer": layer} {
		key := mustKey(t, c, policy)
		if _, err := c.kms.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(key), PolicyName: aws.String("default"), Policy: aws.String(policy)}); err != nil {
			t.Errorf("%s: PutKeyPolicy with a service principal: %v", name, err)
		}
		out, err := c.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(key), PolicyName: aws.String("default")})
		if err != nil {
			t.Fatalf("%s: GetKeyPolicy: %v", name, err)
		}
		if p := aws.ToString(out.Policy); !strings.Contains(p, "cloudfront.amazonaws.com") || !strings.Contains(p, "distribution/EDFDVBD632BHDS5") {
			t.Errorf("%s: the policy read back lost the CloudFront statement: %s", name, p)
		}
	}
}

// TestBucketPolicyOAIPrincipal: a bucket policy granting a CloudFront origin access identity by its
// ARN (arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ID) is stored and read back
// as written, as S3 does (isOAI): the layer's deleted-principal rule must not take it for an IAM
// user of some account.
func TestBucketPolicyOAIPrincipal(t *testing.T) {
	t.Parallel()
	_, layer := both(shared, "testing")
	ctx := context.Background()
	bucket := unique("oai")
	if _, err := layer.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	const oai = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"OAI","Effect":"Allow","Principal":{"AWS":"` + oai + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
	if err := putPolicy(layer, bucket, policy); err != nil {
		t.Fatalf("PutBucketPolicy granting an OAI: %v", err)
	}
	out, err := layer.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if p := aws.ToString(out.Policy); !strings.Contains(p, oai) {
		t.Errorf("GetBucketPolicy: %s, want the OAI's ARN as written", p)
	}
	// A user ARN of a real account that does not exist is still refused.
	if err := putPolicy(layer, bucket, strings.ReplaceAll(policy, oai, "arn:aws:iam::123456789012:user/"+unique("missing"))); errorCode(err) != "MalformedPolicy" {
		t.Errorf("PutBucketPolicy naming a missing user: got %v, want MalformedPolicy", err)
	}
}
