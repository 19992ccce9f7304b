package apply_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/sseguard/sseguard/internal/apply"
	"github.com/sseguard/sseguard/internal/plan"
)

// fakeAWS answers apply's calls as AWS would, failing the operations in fail with the error
// given, and records every call: the branches moto cannot produce on demand.
type fakeAWS struct {
	fail  map[string]error
	mu    sync.Mutex
	calls []string
}

func (f *fakeAWS) call(op string) error {
	f.mu.Lock()
	f.calls = append(f.calls, op)
	f.mu.Unlock()
	return f.fail[op]
}

func (f *fakeAWS) called(op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c == op {
			return true
		}
	}
	return false
}

func (f *fakeAWS) S3(string) apply.S3API   { return f }
func (f *fakeAWS) KMS(string) apply.KMSAPI { return f }

const fakeARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

func (f *fakeAWS) PutBucketEncryption(context.Context, *s3.PutBucketEncryptionInput, ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error) {
	return &s3.PutBucketEncryptionOutput{}, f.call("PutBucketEncryption")
}
func (f *fakeAWS) PutBucketPolicy(context.Context, *s3.PutBucketPolicyInput, ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	return &s3.PutBucketPolicyOutput{}, f.call("PutBucketPolicy")
}
func (f *fakeAWS) GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	if err := f.call("GetBucketPolicy"); err != nil {
		return nil, err
	}
	return nil, &smithy.GenericAPIError{Code: "NoSuchBucketPolicy"}
}
func (f *fakeAWS) DeleteBucketPolicy(context.Context, *s3.DeleteBucketPolicyInput, ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error) {
	return &s3.DeleteBucketPolicyOutput{}, f.call("DeleteBucketPolicy")
}
func (f *fakeAWS) CreateKey(context.Context, *kms.CreateKeyInput, ...func(*kms.Options)) (*kms.CreateKeyOutput, error) {
	if err := f.call("CreateKey"); err != nil {
		return nil, err
	}
	return &kms.CreateKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{KeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab"), Arn: aws.String(fakeARN)}}, nil
}
func (f *fakeAWS) CreateAlias(context.Context, *kms.CreateAliasInput, ...func(*kms.Options)) (*kms.CreateAliasOutput, error) {
	return &kms.CreateAliasOutput{}, f.call("CreateAlias")
}
func (f *fakeAWS) EnableKeyRotation(context.Context, *kms.EnableKeyRotationInput, ...func(*kms.Options)) (*kms.EnableKeyRotationOutput, error) {
	return &kms.EnableKeyRotationOutput{}, f.call("EnableKeyRotation")
}
func (f *fakeAWS) PutKeyPolicy(context.Context, *kms.PutKeyPolicyInput, ...func(*kms.Options)) (*kms.PutKeyPolicyOutput, error) {
	return &kms.PutKeyPolicyOutput{}, f.call("PutKeyPolicy")
}
func (f *fakeAWS) ListKeys(context.Context, *kms.ListKeysInput, ...func(*kms.Options)) (*kms.ListKeysOutput, error) {
	return &kms.ListKeysOutput{}, f.call("ListKeys")
}
func (f *fakeAWS) ListResourceTags(context.Context, *kms.ListResourceTagsInput, ...func(*kms.Options)) (*kms.ListResourceTagsOutput, error) {
	return &kms.ListResourceTagsOutput{}, f.call("ListResourceTags")
}
func (f *fakeAWS) ListAliases(context.Context, *kms.ListAliasesInput, ...func(*kms.Options)) (*kms.ListAliasesOutput, error) {
	return &kms.ListAliasesOutput{}, f.call("ListAliases")
}
func (f *fakeAWS) DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	return &kms.DescribeKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{Arn: aws.String(fakeARN)}}, f.call("DescribeKey")
}
func (f *fakeAWS) GetKeyPolicy(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
	return &kms.GetKeyPolicyOutput{Policy: aws.String("{}")}, f.call("GetKeyPolicy")
}
func (f *fakeAWS) ListGrants(context.Context, *kms.ListGrantsInput, ...func(*kms.Options)) (*kms.ListGrantsOutput, error) {
	return &kms.ListGrantsOutput{}, f.call("ListGrants")
}

func denied(code string) error { return &smithy.GenericAPIError{Code: code, Message: "not authorized"} }

func TestApplyErrorBranches(t *testing.T) {
	t.Parallel()
	newKey := []plan.Change{
		{ID: "create-key/us-east-1/alias/k", Kind: plan.CreateKey, Alias: "alias/k", Region: "us-east-1", Key: &plan.NewKey{Alias: "alias/k", Description: "d"}},
		{ID: "enable-key-rotation/us-east-1/alias/k", Kind: plan.EnableKeyRotation, Alias: "alias/k", Region: "us-east-1", DependsOn: []string{"create-key/us-east-1/alias/k"}},
		{ID: "set-default-encryption/b", Kind: plan.SetDefaultEncryption, Bucket: "b", Region: "us-east-1",
			Rule: &plan.Rule{Algorithm: plan.AlgKMS, Alias: "alias/k"}, DependsOn: []string{"create-key/us-east-1/alias/k", "enable-key-rotation/us-east-1/alias/k"}},
	}
	policyChange := []plan.Change{{ID: "update-bucket-policy/b", Kind: plan.UpdateBucketPolicy, Bucket: "b", Region: "us-east-1", Document: "{}"},
		{ID: "reencrypt-objects/b", Kind: plan.ReencryptObjects, Bucket: "b", Region: "us-east-1", Rule: &plan.Rule{Algorithm: plan.AlgAES256},
			DependsOn: []string{"update-bucket-policy/b"}}}
	tests := map[string]struct {
		changes []plan.Change
		fail    map[string]error
		want    []plan.Outcome
		detail  string // in the first result's error or detail
		notSent string
	}{
		"CreateAlias fails after CreateKey: the key is reported, left in place, dependents skipped": {
			changes: newKey, fail: map[string]error{"CreateAlias": denied("AccessDeniedException")},
			want: []plan.Outcome{plan.Failed, plan.Skipped, plan.Skipped}, detail: "left in place", notSent: "PutBucketEncryption",
		},
		"rotation refused: the key stands, the bucket waits": {
			changes: newKey, fail: map[string]error{"EnableKeyRotation": denied("AccessDeniedException")},
			want: []plan.Outcome{plan.Done, plan.Failed, plan.Skipped}, notSent: "PutBucketEncryption",
		},
		"listing keys refused: nothing to adopt, the key is created": {
			changes: newKey, fail: map[string]error{"ListKeys": denied("AccessDeniedException")},
			want: []plan.Outcome{plan.Done, plan.Done, plan.Done},
		},
		"listing keys throttled: no key is created": {
			changes: newKey, fail: map[string]error{"ListKeys": denied("ThrottlingException")},
			want: []plan.Outcome{plan.Failed, plan.Skipped, plan.Skipped}, detail: "could not check", notSent: "CreateKey",
		},
		"bucket policy read refused: nothing written, re-encryption waits": {
			changes: policyChange, fail: map[string]error{"GetBucketPolicy": denied("AccessDenied")},
			want: []plan.Outcome{plan.Failed, plan.Skipped}, detail: "read the bucket policy of b again", notSent: "PutBucketPolicy",
		},
		"bucket policy write refused": {
			changes: policyChange, fail: map[string]error{"PutBucketPolicy": denied("AccessDenied")},
			want: []plan.Outcome{plan.Failed, plan.Skipped}, detail: "put bucket policy of b",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &fakeAWS{fail: tc.fail}
			results := (&apply.Applier{Clients: f, Objects: noObjects{}}).Apply(context.Background(), &plan.Plan{Changes: tc.changes})
			var got []plan.Outcome
			for _, r := range results {
				got = append(got, r.Outcome)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("outcomes %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("outcomes %v, want %v (%+v)", got, tc.want, results)
					break
				}
			}
			if tc.detail != "" && !strings.Contains(results[0].Error+results[0].Detail, tc.detail) {
				t.Errorf("first result %+v does not say %q", results[0], tc.detail)
			}
			if tc.notSent != "" && f.called(tc.notSent) {
				t.Errorf("%s was sent", tc.notSent)
			}
		})
	}
}

// noObjects re-encrypts nothing: a fixer for plans whose objects are not the point.
type noObjects struct{}

func (noObjects) Fix(context.Context, plan.Change, plan.Rule) (*plan.ObjectCounts, error) {
	return &plan.ObjectCounts{}, nil
}
