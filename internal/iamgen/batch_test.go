package iamgen

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/testsupport/golden"
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
	trust, err := BatchTrust(acct)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "trust-batch.json"), render(t, trust))
	if _, err := BatchTrust(""); err == nil {
		t.Error("a batch trust policy without an account")
	}
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
	op := func(o string) map[string][]string { return map[string][]string{"s3:RequestJobOperation": {o}} }
	passedTo := func(svc string) map[string][]string { return map[string][]string{"iam:PassedToService": {svc}} }
	cases := []struct {
		role     Role
		action   string
		resource string
		ctx      map[string][]string
		want     bool
	}{
		{RolePlan, "s3:ListJobs", "*", nil, true},
		{RolePlan, "s3:DescribeJob", job, nil, true},
		{RolePlan, "s3:CreateJob", "*", op("S3PutObjectCopy"), false},
		{RoleApply, "s3:CreateJob", "*", op("S3PutObjectCopy"), true},
		{RoleApply, "s3:CreateJob", "*", op("S3UpdateObjectEncryption"), true},
		// Jobs sseguard never creates: tagging, ACLs, Lambda, deleting tags.
		{RoleApply, "s3:CreateJob", "*", op("S3PutObjectTagging"), false},
		{RoleApply, "s3:CreateJob", "*", op("S3PutObjectAcl"), false},
		{RoleApply, "s3:CreateJob", "*", op("LambdaInvoke"), false},
		{RoleApply, "s3:CreateJob", "*", op("S3DeleteObjectTagging"), false},
		{RoleApply, "s3:CreateJob", "*", nil, false},
		{RoleApply, "iam:PassRole", role, passedTo("batchoperations.s3.amazonaws.com"), true},
		{RoleApply, "iam:PassRole", role, passedTo("lambda.amazonaws.com"), false},
		{RoleApply, "iam:PassRole", role, nil, false},
		{RoleApply, "iam:PassRole", "arn:aws:iam::123456789012:role/Admin", passedTo("batchoperations.s3.amazonaws.com"), false},
		{RoleApply, "s3:UpdateJobStatus", job, nil, false},
		{RoleBatch, "s3:UpdateObjectEncryption", "arn:aws:s3:::media-archive/videos/a.ts", nil, true},
		{RoleBatch, "s3:PutObject", "arn:aws:s3:::media-hls/a.ts", nil, true},
		{RoleBatch, "s3:ListBucket", "arn:aws:s3:::media-archive", nil, true},
		{RoleBatch, "s3:PutObject", "arn:aws:s3:::media-reports/sseguard/media-archive/job-1/report.csv", nil, true},
		{RoleBatch, "s3:PutObject", "arn:aws:s3:::media-reports/elsewhere", nil, false},
		// The jobs set no ACL.
		{RoleBatch, "s3:PutObjectAcl", "arn:aws:s3:::media-archive/videos/a.ts", nil, false},
		// engine: local keeps media-small out of Batch Operations.
		{RoleBatch, "s3:PutObject", "arn:aws:s3:::media-small/a.ts", nil, false},
	}
	for _, tc := range cases {
		if got := allowed(t, doc(tc.role), tc.action, tc.resource, tc.ctx); got != tc.want {
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
