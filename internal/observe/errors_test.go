package observe_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// fake answers every read as a healthy account would, except the one call named in deny, which
// it refuses with the service's own access-denied error. moto can refuse none of these
// selectively for one caller, so the error branches are tested here.
type fake struct{ deny string }

const (
	fakeAccount = "111122223333"
	fakeKeyARN  = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

func (f *fake) refuse(op string) error {
	if f.deny != op {
		return nil
	}
	code := "AccessDenied"
	if strings.HasPrefix(op, "kms:") {
		code = "AccessDeniedException"
	}
	return &smithy.GenericAPIError{Code: code, Message: "User is not authorized to perform: " + op}
}

func (f *fake) S3(string) observe.S3API   { return f }
func (f *fake) KMS(string) observe.KMSAPI { return f }
func (f *fake) STS() observe.STSAPI       { return f }
func (f *fake) IAM() observe.IAMAPI       { return f }

func (f *fake) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String(fakeAccount), Arn: aws.String("arn:aws:iam::" + fakeAccount + ":user/u")}, f.refuse("sts:GetCallerIdentity")
}

func (f *fake) GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	if err := f.refuse("s3:GetBucketLocation"); err != nil {
		return nil, err
	}
	return &s3.GetBucketLocationOutput{}, nil
}

func (f *fake) GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	if err := f.refuse("s3:GetEncryptionConfiguration"); err != nil {
		return nil, err
	}
	return &s3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{
			SSEAlgorithm: "aws:kms", KMSMasterKeyID: aws.String(fakeKeyARN)}, BucketKeyEnabled: aws.Bool(true)}}}}, nil
}

func (f *fake) GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	if err := f.refuse("s3:GetBucketPolicy"); err != nil {
		return nil, err
	}
	return nil, &smithy.GenericAPIError{Code: "NoSuchBucketPolicy"}
}

func (f *fake) GetBucketReplication(_ context.Context, _ *s3.GetBucketReplicationInput, _ ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error) {
	if err := f.refuse("s3:GetReplicationConfiguration"); err != nil {
		return nil, err
	}
	return nil, &smithy.GenericAPIError{Code: "ReplicationConfigurationNotFoundError"}
}

func (f *fake) DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	if err := f.refuse("kms:DescribeKey"); err != nil {
		return nil, err
	}
	return &kms.DescribeKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{KeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab"),
		Arn: aws.String(fakeKeyARN), AWSAccountId: aws.String(fakeAccount), KeyState: kmstypes.KeyStateEnabled,
		KeyManager: kmstypes.KeyManagerTypeCustomer, KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt,
		Origin: kmstypes.OriginTypeAwsKms}}, nil
}

func (f *fake) GetKeyPolicy(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
	if err := f.refuse("kms:GetKeyPolicy"); err != nil {
		return nil, err
	}
	return &kms.GetKeyPolicyOutput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[]}`)}, nil
}

func (f *fake) GetKeyRotationStatus(context.Context, *kms.GetKeyRotationStatusInput, ...func(*kms.Options)) (*kms.GetKeyRotationStatusOutput, error) {
	if err := f.refuse("kms:GetKeyRotationStatus"); err != nil {
		return nil, err
	}
	return &kms.GetKeyRotationStatusOutput{KeyRotationEnabled: true}, nil
}

func (f *fake) GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	if err := f.refuse("iam:GetRole"); err != nil {
		return nil, err
	}
	return &iam.GetRoleOutput{Role: &iamtypes.Role{Arn: aws.String("arn:aws:iam::" + fakeAccount + ":role/T")}}, nil
}

func (f *fake) GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "NoSuchEntity"}
}

// Each read refused: what the observation records (and so what the plan can say).
func TestAccessDeniedOnEachRead(t *testing.T) {
	t.Parallel()
	pol := &policy.Policy{Buckets: []policy.Bucket{{Name: "b", Encryption: policy.SSEKMS, KMSKey: fakeKeyARN,
		TranscoderPrincipal: "arn:aws:iam::" + fakeAccount + ":role/T"}}}
	keyRef := state.KeyRef{Region: "us-east-1", Ref: fakeKeyARN}
	tests := map[string]func(t *testing.T, st *state.State, err error){
		"sts:GetCallerIdentity": func(t *testing.T, st *state.State, err error) {
			if err == nil || !strings.Contains(err.Error(), "sts:GetCallerIdentity") {
				t.Errorf("err = %v, want the whole observation to fail naming sts:GetCallerIdentity", err)
			}
		},
		"s3:GetBucketLocation": func(t *testing.T, st *state.State, err error) {
			if b := st.Buckets["b"]; !strings.Contains(b.Err, "read location of bucket b") || !strings.Contains(b.Err, "AccessDenied") {
				t.Errorf("bucket = %+v", b)
			}
		},
		"s3:GetEncryptionConfiguration": func(t *testing.T, st *state.State, err error) {
			if b := st.Buckets["b"]; !strings.Contains(b.Err, "read default encryption") {
				t.Errorf("bucket = %+v", b)
			}
		},
		"s3:GetBucketPolicy": func(t *testing.T, st *state.State, err error) {
			if b := st.Buckets["b"]; !strings.Contains(b.Err, "read bucket policy") {
				t.Errorf("bucket = %+v", b)
			}
		},
		"kms:DescribeKey": func(t *testing.T, st *state.State, err error) {
			if k := st.Keys[keyRef]; k == nil || !strings.Contains(k.Err, "describe key") || !strings.Contains(k.Err, "AccessDeniedException") {
				t.Errorf("key = %+v", k)
			}
		},
		"kms:GetKeyPolicy": func(t *testing.T, st *state.State, err error) {
			if k := st.Keys[keyRef]; k == nil || k.Err != "" || !strings.Contains(k.PolicyDenied, "kms:GetKeyPolicy") || k.Rotation == nil {
				t.Errorf("key = %+v, want the policy marked refused and the rest read", k)
			}
		},
		"kms:GetKeyRotationStatus": func(t *testing.T, st *state.State, err error) {
			if k := st.Keys[keyRef]; k == nil || k.Err != "" || !strings.Contains(k.RotationDenied, "kms:GetKeyRotationStatus") || k.Policy == "" {
				t.Errorf("key = %+v, want the rotation status marked refused and the policy read", k)
			}
		},
		"iam:GetRole": func(t *testing.T, st *state.State, err error) {
			if _, checked := st.Principals["arn:aws:iam::"+fakeAccount+":role/T"]; checked {
				t.Errorf("principals = %v: a refused GetRole must leave the principal unchecked, not missing", st.Principals)
			}
		},
	}
	for op, check := range tests {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			st, err := observe.New(&fake{deny: op}, observe.Options{HomeRegion: "us-east-1"}).Observe(context.Background(), pol)
			if err == nil && st.Buckets["b"] == nil {
				t.Fatalf("no bucket observed: %+v", st)
			}
			check(t, st, err)
		})
	}
	// Nothing refused: a clean observation (the fake itself is sound).
	st, err := observe.New(&fake{}, observe.Options{HomeRegion: "us-east-1"}).Observe(context.Background(), pol)
	if err != nil || st.Buckets["b"].Err != "" || st.Keys[keyRef].Err != "" || st.Principals["arn:aws:iam::"+fakeAccount+":role/T"] != true {
		t.Errorf("clean observation: %v %+v %+v %v", err, st.Buckets["b"], st.Keys[keyRef], st.Principals)
	}
}
