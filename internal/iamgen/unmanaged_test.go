package iamgen

import (
	"slices"
	"testing"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
)

// The listing and the reads of every bucket's encryption are granted, to both roles, only when
// the policy asks for the report.
func TestUnmanagedGrants(t *testing.T) {
	t.Parallel()
	for _, report := range []bool{false, true} {
		for _, role := range []Role{RolePlan, RoleApply} {
			pol := &policy.Policy{Account: acct, Buckets: []policy.Bucket{{Name: "media", Encryption: policy.SSES3}}}
			if report {
				pol.Unmanaged = policy.Unmanaged{Mode: policy.UnmanagedReport, AllRegions: true}
			}
			d, err := Policy(pol, Options{Role: role, Partition: "aws-cn"})
			if err != nil {
				t.Fatal(err)
			}
			find := func(action, resource string) bool {
				for _, s := range d.Statements {
					if s.Effect == iampolicy.EffectAllow && slices.Contains(s.Action, action) && slices.Contains(s.Resource, resource) && len(s.Condition) == 0 {
						return true
					}
				}
				return false
			}
			for _, want := range [][2]string{{"s3:ListAllMyBuckets", "*"}, {"s3:GetEncryptionConfiguration", "arn:aws-cn:s3:::*"}, {"s3:GetBucketLocation", "arn:aws-cn:s3:::*"}} {
				if got := find(want[0], want[1]); got != report {
					t.Errorf("report %v, role %s: %s on %s granted = %v", report, role, want[0], want[1], got)
				}
			}
		}
	}
}
