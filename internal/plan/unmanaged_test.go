package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// Unmanaged buckets are carried into the plan, described, and never changed nor blocked, whatever
// their encryption.
func TestComputeCarriesUnmanagedBuckets(t *testing.T) {
	t.Parallel()
	kms := &state.Rule{Algorithm: AlgKMS, KeyRef: keyARN, BucketKey: true}
	aes := &state.Rule{Algorithm: AlgAES256}
	tests := map[string]struct {
		observed *state.Unmanaged
		want     *Unmanaged
	}{
		"not asked": {nil, nil},
		"listed": {
			&state.Unmanaged{Regions: []string{"us-east-1"}, Buckets: []state.UnmanagedBucket{
				{Name: "a-kms", Region: "us-east-1", Encryption: kms},
				{Name: "b-aes", Region: "us-east-1", Encryption: aes},
				{Name: "c-none", Region: "us-east-1"},
				{Name: "d-dsse", Region: "us-east-1", Encryption: &state.Rule{Algorithm: "aws:kms:dsse"}},
				{Name: "e-denied", Region: "us-east-1", Err: "read default encryption: s3:GetEncryptionConfiguration was refused"},
			}},
			&Unmanaged{Regions: []string{"us-east-1"}, Buckets: []UnmanagedBucket{
				{Name: "a-kms", Region: "us-east-1", Encryption: "SSE-KMS " + keyARN + " (bucket key)", Rule: kms},
				{Name: "b-aes", Region: "us-east-1", Encryption: "SSE-S3 (AES256)", Rule: aes},
				{Name: "c-none", Region: "us-east-1", Encryption: "none"},
				{Name: "d-dsse", Region: "us-east-1", Encryption: "aws:kms:dsse", Rule: &state.Rule{Algorithm: "aws:kms:dsse"}},
				{Name: "e-denied", Region: "us-east-1", Error: "read default encryption: s3:GetEncryptionConfiguration was refused"},
			}},
		},
		"listing failed": {
			&state.Unmanaged{AllRegions: true, Buckets: []state.UnmanagedBucket{}, Err: "list the account's buckets (s3:ListAllMyBuckets): AccessDenied"},
			&Unmanaged{AllRegions: true, Buckets: []UnmanagedBucket{}, Error: "list the account's buckets (s3:ListAllMyBuckets): AccessDenied"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pol := &policy.Policy{Buckets: []policy.Bucket{{Name: "managed", Encryption: policy.SSES3, ExistingObjects: policy.ObjectsIgnore}}}
			st := newState(map[string]*state.Bucket{"managed": existing("managed", "us-east-1", aes)}, nil)
			st.Unmanaged = tc.observed
			p := Compute(pol, st)
			if diff := cmp.Diff(tc.want, p.Unmanaged); diff != "" {
				t.Errorf("unmanaged (-want +got):\n%s", diff)
			}
			if !p.InSync() || len(p.Warnings) != 0 || len(p.Buckets) != 1 {
				t.Errorf("unmanaged buckets changed the plan: %+v", p)
			}
		})
	}
}
