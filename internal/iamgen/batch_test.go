package iamgen

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/golden"
	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
)

func batchPolicy(t *testing.T) *policy.Policy {
	t.Helper()
	p, err := policy.Load("../policy/testdata/ok/batch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBatchGolden(t *testing.T) {
	t.Parallel()
	pol := batchPolicy(t)
	for _, role := range []Role{RolePlan, RoleApply, RoleBatch} {
		d, err := Policy(pol, Options{Role: role})
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "batch-"+string(role)+".json"), render(t, d))
	}
	golden.Check(t, filepath.Join("testdata", "trust-batch.json"), render(t, BatchTrust()))
}

func TestBatchPermissions(t *testing.T) {
	t.Parallel()
	pol := batchPolicy(t)
	doc := func(r Role) *iampolicy.Document {
		d, err := Policy(pol, Options{Role: r})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	role := "arn:aws:iam::123456789012:role/sseguard-batch"
	job := "arn:aws:s3:us-east-1:123456789012:job/abc"
	cases := []struct {
		role     Role
		action   string
		resource string
		want     bool
	}{
		{RolePlan, "s3:ListJobs", "*", true},
		{RolePlan, "s3:DescribeJob", job, true},
		{RolePlan, "s3:CreateJob", "*", false},
		{RoleApply, "s3:CreateJob", "*", true},
		{RoleApply, "iam:PassRole", role, true},
		{RoleApply, "iam:PassRole", "arn:aws:iam::123456789012:role/Admin", false},
		{RoleApply, "s3:UpdateJobStatus", job, false},
		{RoleBatch, "s3:UpdateObjectEncryption", "arn:aws:s3:::media-archive/videos/a.ts", true},
		{RoleBatch, "s3:PutObject", "arn:aws:s3:::media-hls/a.ts", true},
		{RoleBatch, "s3:ListBucket", "arn:aws:s3:::media-archive", true},
		{RoleBatch, "s3:PutObject", "arn:aws:s3:::media-reports/sseguard/media-archive/job-1/report.csv", true},
		{RoleBatch, "s3:PutObject", "arn:aws:s3:::media-reports/elsewhere", false},
		// engine: local keeps media-small out of Batch Operations.
		{RoleBatch, "s3:PutObject", "arn:aws:s3:::media-small/a.ts", false},
	}
	for _, tc := range cases {
		if got := allowed(t, doc(tc.role), tc.action, tc.resource, nil); got != tc.want {
			t.Errorf("%s %s on %s: allowed %v, want %v", tc.role, tc.action, tc.resource, got, tc.want)
		}
	}
}

func TestBatchRoleNeedsABatchBucket(t *testing.T) {
	t.Parallel()
	_, err := Policy(example(t), Options{Role: RoleBatch})
	if err == nil || !strings.Contains(err.Error(), "no bucket of the policy file uses S3 Batch Operations") {
		t.Errorf("batch role for a file without batch buckets: %v", err)
	}
}
