package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// Unmanaged buckets are carried into the plan as observed, and never changed nor blocked,
// whatever their encryption; each rule is described for people by DescribeObserved.
func TestComputeCarriesUnmanagedBuckets(t *testing.T) {
	t.Parallel()
	kms := &state.Rule{Algorithm: AlgKMS, KeyRef: keyARN, BucketKey: true}
	aes := &state.Rule{Algorithm: AlgAES256}
	tests := map[string]*state.Unmanaged{
		"not asked": nil,
		"listed": {Regions: []string{"us-east-1"}, Buckets: []state.UnmanagedBucket{
			{Name: "a-kms", Region: "us-east-1", Rule: kms},
			{Name: "b-aes", Region: "us-east-1", Rule: aes},
			{Name: "c-none", Region: "us-east-1"},
			{Name: "d-dsse", Region: "us-east-1", Rule: &state.Rule{Algorithm: "aws:kms:dsse"}},
			{Name: "e-denied", Region: "us-east-1", Err: "read default encryption: s3:GetEncryptionConfiguration was refused"},
		}},
		"listing failed": {AllRegions: true, Buckets: []state.UnmanagedBucket{}, Err: "list the account's buckets (s3:ListAllMyBuckets): AccessDenied"},
	}
	for name, observed := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pol := &policy.Policy{Buckets: []policy.Bucket{{Name: "managed", Encryption: policy.SSES3, ExistingObjects: policy.ObjectsIgnore}}}
			st := newState(map[string]*state.Bucket{"managed": existing("managed", "us-east-1", aes)}, nil)
			st.Unmanaged = observed
			p := Compute(pol, st)
			if diff := cmp.Diff(observed, p.Unmanaged); diff != "" {
				t.Errorf("unmanaged (-want +got):\n%s", diff)
			}
			if observed != nil && len(observed.Buckets) > 0 && &p.Unmanaged.Buckets[0] == &observed.Buckets[0] {
				t.Error("the plan shares the state's buckets: Merge would tag the state's")
			}
			if !p.InSync() || len(p.Warnings) != 0 || len(p.Buckets) != 1 {
				t.Errorf("unmanaged buckets changed the plan: %+v", p)
			}
		})
	}
}

func TestDescribeObserved(t *testing.T) {
	t.Parallel()
	for want, r := range map[string]*state.Rule{
		"none":                                   nil,
		"SSE-S3 (AES256)":                        {Algorithm: AlgAES256},
		"SSE-S3 (AES256), SSE-C uploads blocked": {Algorithm: AlgAES256, BlockedEncryptionTypes: []string{EncryptionTypeSSEC}},
		"SSE-KMS " + keyARN + " (bucket key)":    {Algorithm: AlgKMS, KeyRef: keyARN, BucketKey: true},
		"SSE-KMS alias/x (" + keyARN + ")":       {Algorithm: AlgKMS, KeyRef: "alias/x", KeyARN: keyARN},
		"SSE-KMS aws/s3 (AWS managed)":           {Algorithm: AlgKMS},
		"aws:kms:dsse":                           {Algorithm: "aws:kms:dsse"},
	} {
		if got := DescribeObserved(r); got != want {
			t.Errorf("DescribeObserved(%+v) = %q, want %q", r, got, want)
		}
	}
}
