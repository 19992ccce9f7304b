package awstest

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// An access key moto never issued is "arn:aws:sts::ACCOUNT:user/moto" to moto, a principal no key
// policy can name (AWS refuses such a key outright); NewUser's key is an IAM user's, as in AWS.
func TestNewUserIsAnIAMUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	name := unique("user")
	akid, err := shared.NewUser(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	id, err := clientsAt(shared.URL, akid).sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/"+name {
		t.Errorf("caller of NewUser's key = %v (%v), want the user", aws.ToString(id.Arn), err)
	}
	made, err := clientsAt(shared.Upstream(), "AKIANEVERISSUED00001").sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.Contains(aws.ToString(made.Arn), ":sts::") {
		t.Errorf("moto's answer for a key it never issued = %v (%v): no longer the made-up sts user", aws.ToString(made.Arn), err)
	}
}

// CreateKey's request condition keys hold their defaults when the request leaves the parameter
// out ("AWS KMS condition keys"): a policy that allows only single-Region symmetric keys with the
// lockout check on lets a plain CreateKey through and refuses a multi-Region one.
func TestCreateKeyConditionKeysAtTheirDefaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const akid = "AKIACREATEKEYCOND001"
	if err := shared.SetIdentityPolicy(akid, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:CreateKey","Resource":"*",
		"Condition":{"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT","kms:KeyUsage":"ENCRYPT_DECRYPT","kms:KeyOrigin":"AWS_KMS"},
		"Bool":{"kms:MultiRegion":"false","kms:BypassPolicyLockoutSafetyCheck":"false"}}}]}`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shared.SetIdentityPolicy(akid, "") })
	moto, layer := both(shared, akid)
	if _, err := layer.kms.CreateKey(ctx, &kms.CreateKeyInput{}); err != nil {
		t.Errorf("a plain CreateKey: %v", err)
	}
	multi := &kms.CreateKeyInput{MultiRegion: aws.Bool(true)}
	if _, err := layer.kms.CreateKey(ctx, multi); errorCode(err) != "AccessDeniedException" {
		t.Errorf("a multi-Region CreateKey: %v, want AccessDeniedException", err)
	}
	if _, err := moto.kms.CreateKey(ctx, multi); err != nil {
		t.Errorf("moto alone refused a multi-Region key: %v", err)
	}
}
