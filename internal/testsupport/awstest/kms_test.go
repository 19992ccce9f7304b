package awstest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestKeyKinds: EnableKeyRotation on keys with imported material, in a custom key store, or
// multi-Region replicas answers UnsupportedOperationException, and DescribeKey says what the key
// is; moto has no such keys and rotates anything.
func TestKeyKinds(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	ctx := context.Background()
	tests := map[KeyKind]struct {
		wantErr string
		check   func(m *kmstypes.KeyMetadata) string
	}{
		KeyImported: {"UnsupportedOperationException", func(m *kmstypes.KeyMetadata) string {
			if m.Origin != kmstypes.OriginTypeExternal {
				return fmt.Sprintf("Origin %s, want EXTERNAL", m.Origin)
			}
			return ""
		}},
		KeyCustomKeyStore: {"UnsupportedOperationException", func(m *kmstypes.KeyMetadata) string {
			if m.Origin != kmstypes.OriginTypeAwsCloudhsm || aws.ToString(m.CustomKeyStoreId) == "" {
				return fmt.Sprintf("Origin %s CustomKeyStoreId %q, want AWS_CLOUDHSM and an id", m.Origin, aws.ToString(m.CustomKeyStoreId))
			}
			return ""
		}},
		KeyMultiRegionReplica: {"UnsupportedOperationException", func(m *kmstypes.KeyMetadata) string {
			c := m.MultiRegionConfiguration
			if !aws.ToBool(m.MultiRegion) || c == nil || c.MultiRegionKeyType != kmstypes.MultiRegionKeyTypeReplica || c.PrimaryKey == nil || aws.ToString(c.PrimaryKey.Region) == "us-east-1" {
				return fmt.Sprintf("MultiRegion %v configuration %+v, want a REPLICA of a key in another Region", aws.ToBool(m.MultiRegion), c)
			}
			return ""
		}},
		KeyMultiRegionPrimary: {"", func(m *kmstypes.KeyMetadata) string {
			c := m.MultiRegionConfiguration
			if !aws.ToBool(m.MultiRegion) || c == nil || c.MultiRegionKeyType != kmstypes.MultiRegionKeyTypePrimary || len(c.ReplicaKeys) != 1 {
				return fmt.Sprintf("MultiRegion %v configuration %+v, want a PRIMARY with one replica", aws.ToBool(m.MultiRegion), c)
			}
			return ""
		}},
	}
	for kind, tc := range tests {
		t.Run(kind.String(), func(t *testing.T) {
			key := mustKey(t, layer, "")
			shared.MarkKey(key, kind)
			if _, err := moto.kms.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(key)}); err != nil {
				t.Errorf("moto alone refused rotation: %v (the rule exists because moto rotates any key)", err)
			}
			_, err := layer.kms.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(key)})
			if got := errorCode(err); got != tc.wantErr {
				t.Errorf("EnableKeyRotation through the layer: got %q (%v), want %q", got, err, tc.wantErr)
			}
			d, err := layer.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key)})
			if err != nil {
				t.Fatal(err)
			}
			if why := tc.check(d.KeyMetadata); why != "" {
				t.Errorf("DescribeKey through the layer: %s", why)
			}
		})
	}
	// Unmarking makes it a standard key again.
	key := mustKey(t, layer, "")
	shared.MarkKey(key, KeyImported)
	shared.MarkKey(key, KeyStandard)
	if _, err := layer.kms.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: aws.String(key)}); err != nil {
		t.Errorf("EnableKeyRotation on an unmarked key: %v", err)
	}
}

func keyPolicyFor(principal string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
 {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"KeyUse","Effect":"Allow","Principal":{"AWS":%q},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}]}`, principal)
}

// TestKeyPolicyValidation: CreateKey and PutKeyPolicy refuse what KMS refuses, with KMS's error
// codes; moto stores anything.
func TestKeyPolicyValidation(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	ctx := context.Background()
	role := unique("user-role")
	if _, err := layer.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trustAnyone)}); err != nil {
		t.Fatal(err)
	}
	good := keyPolicyFor("arn:aws:iam::123456789012:role/" + role)
	big := strings.Replace(good, `"KeyUse"`, `"`+strings.Repeat("K", 33*1024)+`"`, 1)
	tests := map[string]struct {
		policy, want string
	}{
		"valid":                         {good, ""},
		"over 32 KB":                    {big, "LimitExceededException"},
		"principal that does not exist": {keyPolicyFor("arn:aws:iam::123456789012:role/" + unique("missing")), "MalformedPolicyDocumentException"},
		"unique id":                     {keyPolicyFor("AROAEXAMPLEEXAMPLE1234"), "MalformedPolicyDocumentException"},
		"not JSON":                      {"allow everything", "MalformedPolicyDocumentException"},
		"locks the caller out":          {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/` + role + `"},"Action":"kms:Decrypt","Resource":"*"}]}`, "MalformedPolicyDocumentException"},
	}
	existing := mustKey(t, layer, "")
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := layer.kms.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(tc.policy)})
			if got := errorCode(err); got != tc.want {
				t.Errorf("CreateKey: got %q (%v), want %q", got, err, tc.want)
			}
			_, err = layer.kms.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(existing), PolicyName: aws.String("default"), Policy: aws.String(tc.policy)})
			if got := errorCode(err); got != tc.want {
				t.Errorf("PutKeyPolicy: got %q (%v), want %q", got, err, tc.want)
			}
		})
	}
	for _, p := range []string{big, keyPolicyFor("arn:aws:iam::123456789012:role/" + unique("missing")), "allow everything"} {
		if _, err := moto.kms.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(p)}); err != nil {
			t.Errorf("moto alone refused a key policy the layer refuses: %v (the rule exists because moto accepts it)", err)
		}
	}
}

// TestDeletedPrincipals: once a role named in a bucket policy or key policy is deleted, reads show
// its unique id, and writing the policy back is refused; moto keeps showing the ARN.
func TestDeletedPrincipals(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	ctx := context.Background()
	role := unique("transcoder")
	r, err := layer.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trustAnyone)})
	if err != nil {
		t.Fatal(err)
	}
	roleARN, roleID := aws.ToString(r.Role.Arn), aws.ToString(r.Role.RoleId)
	bucket := unique("deleted")
	mustBucket(t, layer, bucket)
	bp := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Reader","Effect":"Allow","Principal":{"AWS":%q},"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, roleARN, bucket)
	if err := putPolicy(layer, bucket, bp); err != nil {
		t.Fatal(err)
	}
	kp := keyPolicyFor(roleARN)
	key := mustKey(t, layer, kp)
	motoKey := mustKey(t, moto, kp)
	if _, err := layer.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(role)}); err != nil {
		t.Fatal(err)
	}

	gotBP, err := layer.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if p := aws.ToString(gotBP.Policy); !strings.Contains(p, roleID) || strings.Contains(p, roleARN) {
		t.Errorf("GetBucketPolicy after the role was deleted: %s, want the unique id %s instead of the ARN", p, roleID)
	}
	getKP := func(c clients, k string) string {
		out, err := c.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(k), PolicyName: aws.String("default")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Policy)
	}
	if p := getKP(layer, key); !strings.Contains(p, roleID) || strings.Contains(p, roleARN) {
		t.Errorf("GetKeyPolicy after the role was deleted: %s, want the unique id %s instead of the ARN", p, roleID)
	}
	if p := getKP(moto, motoKey); !strings.Contains(p, roleARN) {
		t.Errorf("moto alone: %s; the rule exists because moto keeps showing the ARN", p)
	}

	// Writing a policy that still holds the unique id (or the deleted ARN) is refused.
	if err := putPolicy(layer, bucket, strings.ReplaceAll(bp, roleARN, roleID)); errorCode(err) != "MalformedPolicy" {
		t.Errorf("PutBucketPolicy with the unique id: got %v, want MalformedPolicy", err)
	}
	if err := putPolicy(layer, bucket, bp); errorCode(err) != "MalformedPolicy" {
		t.Errorf("PutBucketPolicy with the deleted role's ARN: got %v, want MalformedPolicy", err)
	}
	if _, err := layer.kms.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(key), PolicyName: aws.String("default"), Policy: aws.String(getKP(layer, key))}); errorCode(err) != "MalformedPolicyDocumentException" {
		t.Errorf("PutKeyPolicy with the unique id: got %v, want MalformedPolicyDocumentException", err)
	}

	// A role recreated with the same name is another principal: the policy still shows the old id.
	if _, err := layer.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trustAnyone)}); err != nil {
		t.Fatal(err)
	}
	if p := getKP(layer, key); !strings.Contains(p, roleID) {
		t.Errorf("GetKeyPolicy after the role was recreated: %s, want the old unique id %s", p, roleID)
	}
}

// TestAWSManagedKey: the key behind alias/aws/s3 is AWS managed, whether it is described by that
// alias or by its id; moto calls it a customer managed key. A key of the account's own stays
// customer managed.
func TestAWSManagedKey(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	ctx := context.Background()
	d, err := moto.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/s3")})
	if err != nil {
		t.Fatalf("moto DescribeKey alias/aws/s3: %v", err)
	}
	if d.KeyMetadata.KeyManager == kmstypes.KeyManagerTypeAws {
		t.Errorf("moto alone already says KeyManager AWS: the rule is no longer needed")
	}
	id := aws.ToString(d.KeyMetadata.KeyId)
	for _, ref := range []string{"alias/aws/s3", id, aws.ToString(d.KeyMetadata.Arn)} {
		d, err := layer.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
		if err != nil {
			t.Fatalf("DescribeKey %s through the layer: %v", ref, err)
		}
		if d.KeyMetadata.KeyManager != kmstypes.KeyManagerTypeAws {
			t.Errorf("DescribeKey %s through the layer: KeyManager %s, want AWS", ref, d.KeyMetadata.KeyManager)
		}
	}
	own := mustKey(t, layer, "")
	if _, err := layer.kms.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/awsome-" + t.Name()), TargetKeyId: aws.String(own)}); err != nil {
		t.Fatal(err)
	}
	d, err = layer.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(own)})
	if err != nil {
		t.Fatal(err)
	}
	if d.KeyMetadata.KeyManager != kmstypes.KeyManagerTypeCustomer {
		t.Errorf("a customer managed key described through the layer: KeyManager %s, want CUSTOMER", d.KeyMetadata.KeyManager)
	}
}

// Tagging a key that does not exist is answered as KMS answers it, NotFoundException (the layer
// once failed the request while collecting its tags).
func TestTagMissingKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := clientsAt(shared.URL, "testing")
	_, err := c.kms.TagResource(ctx, &kms.TagResourceInput{KeyId: aws.String("11111111-2222-3333-4444-555555555555"),
		Tags: []kmstypes.Tag{{TagKey: aws.String("team"), TagValue: aws.String("media")}}})
	if code := errorCode(err); code != "NotFoundException" {
		t.Errorf("TagResource of a missing key = %v (%q), want NotFoundException", err, code)
	}
}
