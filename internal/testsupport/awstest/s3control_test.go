package awstest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/sseguard/sseguard/internal/batchops"
	"github.com/sseguard/sseguard/internal/testsupport/s3controltest"
)

func s3controlAt(endpoint, akid string) *s3control.Client {
	cfg := aws.Config{Region: "us-east-1", RetryMaxAttempts: 1, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(akid, "testing", "")}
	return batchops.NewClient(cfg, "us-east-1")
}

// createJob asks for a job of op (a copy onto itself or a tagging job) passing role.
func createJob(ctx context.Context, c *s3control.Client, token, role string, op types.JobOperation) error {
	_, err := c.CreateJob(ctx, &s3control.CreateJobInput{
		AccountId: aws.String("123456789012"), ClientRequestToken: aws.String(token), Priority: aws.Int32(10), RoleArn: aws.String(role),
		ConfirmationRequired: aws.Bool(true), Operation: &op,
		Report: &types.JobReport{Enabled: false},
		ManifestGenerator: &types.JobManifestGeneratorMemberS3JobManifestGenerator{Value: types.S3JobManifestGenerator{
			SourceBucket: aws.String("arn:aws:s3:::media"), EnableManifestOutput: false,
			Filter: &types.JobManifestGeneratorFilter{CreatedBefore: aws.Time(time.Now())},
		}},
	})
	return err
}

// Batch Operations requests are checked against the caller's IAM policy with the condition keys
// they set (s3:RequestJobOperation, iam:PassedToService on the passed role); the stand-in alone,
// like any emulator without S3 Control, takes every job.
func TestS3ControlJobsChecked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := s3controltest.New()
	t.Cleanup(srv.Close)
	const akid = "AKIAS3CONTROLTEST001"
	shared.SetS3Control(akid, srv.URL)
	t.Cleanup(func() { shared.SetS3Control(akid, "") })
	role := "arn:aws:iam::123456789012:role/" + unique("batch")
	if err := shared.SetIdentityPolicy(akid, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:CreateJob","Resource":"*","Condition":{"StringEquals":{"s3:RequestJobOperation":["S3PutObjectCopy","S3UpdateObjectEncryption"]}}},
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+role+`","Condition":{"StringEquals":{"iam:PassedToService":"batchoperations.s3.amazonaws.com"}}},
		{"Effect":"Allow","Action":"s3:ListJobs","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shared.SetIdentityPolicy(akid, "") })
	copyOp := types.JobOperation{S3PutObjectCopy: &types.S3CopyObjectOperation{TargetResource: aws.String("arn:aws:s3:::media")}}
	tagOp := types.JobOperation{S3PutObjectTagging: &types.S3SetObjectTaggingOperation{}}
	viaLayer, alone := s3controlAt(shared.URL, akid), s3controlAt(srv.URL, akid)

	if err := createJob(ctx, alone, "t-alone", "arn:aws:iam::123456789012:role/any", tagOp); err != nil {
		t.Errorf("the stand-in alone refused a tagging job: %v", err)
	}
	if err := createJob(ctx, viaLayer, "t-copy", role, copyOp); err != nil {
		t.Errorf("a copy job passing the allowed role was refused: %v", err)
	}
	if err := createJob(ctx, viaLayer, "t-tag", role, tagOp); errorCode(err) != "AccessDenied" {
		t.Errorf("a tagging job (s3:RequestJobOperation S3PutObjectTagging): %v, want AccessDenied", err)
	}
	if err := createJob(ctx, viaLayer, "t-role", "arn:aws:iam::123456789012:role/"+unique("other"), copyOp); errorCode(err) != "AccessDenied" {
		t.Errorf("a copy job passing another role: %v, want AccessDenied", err)
	}
	if _, err := viaLayer.ListJobs(ctx, &s3control.ListJobsInput{AccountId: aws.String("123456789012")}); err != nil {
		t.Errorf("ListJobs: %v", err)
	}
	if _, err := viaLayer.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: aws.String("123456789012"), JobId: aws.String("job-00000001")}); errorCode(err) != "AccessDenied" {
		t.Errorf("DescribeJob without s3:DescribeJob: %v, want AccessDenied", err)
	}
	var refusedPass bool
	for _, a := range shared.Refused() {
		refusedPass = refusedPass || (a.AccessKeyID == akid && a.Action == "iam:PassRole")
	}
	if !refusedPass {
		t.Error("the layer's record shows no refused iam:PassRole")
	}
}

// A job role's trust policy is judged as STS judges Batch Operations assuming it for a job of an
// account, aws:SourceAccount set to that account.
func TestBatchMayAssume(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, admin := both(shared, "testing")
	pinned, open := unique("batch-pinned"), unique("batch-open")
	for name, trust := range map[string]string{
		pinned: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batchoperations.s3.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`,
		open:   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"batchoperations.s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
	} {
		if _, err := admin.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
	}
	arn := func(n string) string { return "arn:aws:iam::123456789012:role/" + n }
	if err := shared.BatchMayAssume(ctx, arn(pinned), "123456789012"); err != nil {
		t.Errorf("a job of the account: %v", err)
	}
	if err := shared.BatchMayAssume(ctx, arn(pinned), "999988887777"); err == nil {
		t.Error("a job of another account assumed the pinned role")
	}
	if err := shared.BatchMayAssume(ctx, arn(open), "999988887777"); err != nil {
		t.Errorf("the open role: %v", err)
	}
	if err := shared.BatchMayAssume(ctx, arn(unique("missing")), "123456789012"); err == nil {
		t.Error("a role that does not exist was assumed")
	}
}
