package awstest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestPermissionCheck: an access key with an identity policy is refused, in each service's own
// error shape, every request whose IAM action (per the Service Authorization Reference) is not
// allowed; moto alone (without INITIAL_NO_AUTH_ACTION_COUNT) allows everything.
func TestPermissionCheck(t *testing.T) {
	t.Parallel()
	l := newLayer(t, Options{})
	admin := clientsAt(l.URL, "testing")
	ctx := context.Background()

	user := unique("app")
	if _, err := admin.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	ak, err := admin.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	akid := aws.ToString(ak.AccessKey.AccessKeyId)
	userARN := "arn:aws:iam::123456789012:user/" + user
	role := unique("role")
	if _, err := admin.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trustAnyone)}); err != nil {
		t.Fatal(err)
	}

	a, b, cb := unique("perm-a"), unique("perm-b"), unique("perm-c")
	for _, bk := range []string{a, b, cb} {
		mustBucket(t, admin, bk)
		mustPut(t, admin, bk, "k", "x")
	}
	mustPut(t, admin, b, "src", "source")
	allowedAlias := "alias/" + unique("allowed")
	k1, k2 := mustKey(t, admin, ""), mustKey(t, admin, "")
	if _, err := admin.kms.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(allowedAlias), TargetKeyId: aws.String(k1)}); err != nil {
		t.Fatal(err)
	}
	// A key whose policy does not let IAM policies grant use of it.
	k3 := mustKey(t, admin, `{"Version":"2012-10-17","Statement":[{"Sid":"AdminOnly","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["kms:PutKeyPolicy","kms:GetKeyPolicy"],"Resource":"*"}]}`)
	if err := putPolicy(admin, cb, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":%q},"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, userARN, cb)); err != nil {
		t.Fatal(err)
	}

	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetEncryptionConfiguration","s3:ListBucket"],"Resource":"arn:aws:s3:::%[1]s"},
 {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::%[1]s/*"},
 {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::%[2]s/src"},
 {"Effect":"Allow","Action":"kms:GenerateDataKey","Resource":%[3]q,"Condition":{"StringLike":{"kms:ViaService":"s3.*.amazonaws.com"}}},
 {"Effect":"Allow","Action":"kms:DescribeKey","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"kms:ResourceAliases":%[4]q}}},
 {"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"},
 {"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/%[5]s"},
 {"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`, a, b, k1, allowedAlias, role)
	if err := l.SetIdentityPolicy(akid, policy); err != nil {
		t.Fatal(err)
	}
	moto, layer := clientsAt(l.Upstream(), akid), clientsAt(l.URL, akid)

	tests := []struct {
		name   string
		do     func(c clients) error
		want   string // error code through the layer, "" allowed
		action string // the IAM action the refusal names
	}{
		{"GetBucketEncryption allowed", func(c clients) error {
			_, err := c.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(a)})
			return err
		}, "", ""},
		{"GetBucketEncryption other bucket", func(c clients) error {
			_, err := c.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b)})
			return err
		}, "AccessDenied", "s3:GetEncryptionConfiguration"},
		{"PutBucketEncryption", func(c clients) error {
			_, err := c.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(a), ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
				Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}}}})
			return err
		}, "AccessDenied", "s3:PutEncryptionConfiguration"},
		{"HeadObject needs s3:GetObject", func(c clients) error {
			_, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(a), Key: aws.String("k")})
			return err
		}, "", ""},
		{"ListObjectsV2 needs s3:ListBucket", func(c clients) error {
			_, err := c.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(a)})
			return err
		}, "", ""},
		{"ListObjectVersions", func(c clients) error {
			_, err := c.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(a)})
			return err
		}, "AccessDenied", "s3:ListBucketVersions"},
		{"GetObjectLockConfiguration", func(c clients) error {
			_, err := c.s3.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(a)})
			return err
		}, "AccessDenied", "s3:GetBucketObjectLockConfiguration"},
		{"GetObjectAcl with a version", func(c clients) error {
			_, err := c.s3.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(a), Key: aws.String("k"), VersionId: aws.String("null")})
			return err
		}, "AccessDenied", "s3:GetObjectVersionAcl"},
		{"SSE-KMS upload with the allowed key", func(c clients) error { return put(c, a, "kms-ok", withKMS(k1)) }, "", ""},
		{"SSE-KMS upload with another key", func(c clients) error { return put(c, a, "kms-no", withKMS(k2)) }, "AccessDenied", "kms:GenerateDataKey"},
		{"CopyObject from an allowed source", func(c clients) error {
			_, err := c.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(a), Key: aws.String("copy"), CopySource: aws.String(b + "/src")})
			return err
		}, "", ""},
		{"CopyObject from another source", func(c clients) error {
			_, err := c.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(a), Key: aws.String("copy"), CopySource: aws.String(b + "/k")})
			return err
		}, "AccessDenied", "s3:GetObject"},
		{"GetObject allowed by the bucket policy alone", func(c clients) error {
			_, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(cb), Key: aws.String("k")})
			return err
		}, "", ""},
		{"DeleteObject explicitly denied", func(c clients) error {
			_, err := c.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(a), Key: aws.String("k")})
			return err
		}, "AccessDenied", "explicit deny in an identity-based policy"},
		{"DescribeKey of a key with the allowed alias", func(c clients) error {
			_, err := c.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(k1)})
			return err
		}, "", ""},
		{"DescribeKey of another key", func(c clients) error {
			_, err := c.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(k2)})
			return err
		}, "AccessDeniedException", "kms:DescribeKey"},
		{"Encrypt under a key policy that does not enable IAM policies", func(c clients) error {
			_, err := c.kms.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(k3), Plaintext: []byte("x")})
			return err
		}, "AccessDeniedException", "no resource-based policy allows"},
		{"CreateAlias needs kms:CreateAlias", func(c clients) error {
			_, err := c.kms.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/" + unique("x")), TargetKeyId: aws.String(k1)})
			return err
		}, "AccessDeniedException", "kms:CreateAlias"},
		{"GetCallerIdentity needs no permission", func(c clients) error {
			_, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}, "", ""},
		{"GetRole of the allowed role", func(c clients) error {
			_, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
			return err
		}, "", ""},
		{"GetRole of another role", func(c clients) error {
			_, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("other")})
			return err
		}, "AccessDenied", "iam:GetRole"},
	}
	for _, tc := range tests {
		err := tc.do(layer)
		if got := errorCode(err); got != tc.want {
			t.Errorf("%s: got %q (%v), want %q", tc.name, got, err, tc.want)
			continue
		}
		if tc.action != "" && !strings.Contains(errorMessage(err), tc.action) {
			t.Errorf("%s: message %q does not name %q", tc.name, errorMessage(err), tc.action)
		}
	}
	// moto alone lets the same key do what the layer refuses.
	for _, i := range []int{1, 2, 15} {
		if err := tests[i].do(moto); err != nil {
			t.Errorf("moto alone refused %q: %v (the rule exists because moto does not check IAM policies)", tests[i].name, err)
		}
	}

	// Every checked request is recorded with its action and resource.
	var sawCopySource, sawGenerate bool
	for _, a := range l.Actions() {
		if a.AccessKeyID != akid {
			continue
		}
		if !a.Checked || a.Principal != userARN {
			t.Errorf("record %v: want checked and principal %s", a, userARN)
		}
		sawCopySource = sawCopySource || (a.Operation == "CopyObject" && a.Action == "s3:GetObject" && a.Resource == "arn:aws:s3:::"+b+"/src" && a.Allowed)
		sawGenerate = sawGenerate || (a.Action == "kms:GenerateDataKey" && a.Resource == k2 && !a.Allowed)
	}
	if !sawCopySource || !sawGenerate {
		t.Errorf("action record lacks the copy source read or the refused kms:GenerateDataKey:\n%s", FormatActions(l.Actions()))
	}
	if sent := l.Sent(Destructive...); strings.Join(sent, " ") != "DeleteObject s3:DeleteObject" {
		t.Errorf("Sent(Destructive...) = %v, want [DeleteObject s3:DeleteObject] (the request refused above)", sent)
	}
}
