package awstest

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
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
