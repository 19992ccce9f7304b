package iamgen

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
)

// RoleBatch is the role S3 Batch Operations jobs run as (a bucket's batch_operations.role_arn).
const RoleBatch Role = "batch"

// batchService is the service principal of S3 Batch Operations ("Granting permissions for Batch
// Operations", Trust policy: https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html).
const batchService = "batchoperations.s3.amazonaws.com"

// batchBuckets are the buckets whose re-encryption may be handed to Batch Operations.
func (g *gen) batchBuckets() []policy.Bucket {
	var out []policy.Bucket
	for _, b := range g.pol.Buckets {
		if b.Batch != nil && b.ExistingObjects == policy.ObjectsReencrypt && b.EngineOrAuto() != policy.EngineLocal {
			out = append(out, b)
		}
	}
	return out
}

// jobARN is any Batch Operations job of the account (resource type "job" of the Service
// Authorization Reference for Amazon S3).
func (g *gen) jobARN() string { return fmt.Sprintf("arn:%s:s3:*:%s:job/*", g.partition, g.account) }

// followJobs is what plan needs to show the progress of a bucket's job: ListJobs (no resource
// type: "*") and DescribeJob (on the job).
func (g *gen) followJobs() {
	if len(g.batchBuckets()) == 0 {
		return
	}
	g.add("ListBatchJobs", []string{"s3:ListJobs"}, []string{"*"}, nil)
	g.add("ReadBatchJobs", []string{"s3:DescribeJob"}, []string{g.jobARN()}, nil)
}

// jobOperations are the operations of the jobs sseguard creates (batchops: an
// S3UpdateObjectEncryption job, or a copy onto itself), as CreateJob's Operation element names them.
var jobOperations = []string{"S3PutObjectCopy", "S3UpdateObjectEncryption"}

// createJobs is what apply needs on top: "To create an S3 Batch Operations job, the s3:CreateJob
// user permission is required. The same entity that creates the job must also have the
// iam:PassRole permission to pass the ... role that's specified for the job" (batch-ops-iam-role-policies).
//
// CreateJob has no resource type in the Service Authorization Reference for Amazon S3 ("*"); its
// condition key s3:RequestJobOperation ("Filters access by operation to creating jobs") limits it
// to the operations sseguard creates (the key's values are the names of CreateJob's operation
// elements), so the role cannot start a job that deletes tags, changes ACLs or invokes a Lambda
// function over the objects. iam:PassRole is granted on the job roles the file names, only to be
// passed to S3 Batch Operations: iam:PassedToService, "Specifies the service principal of the
// service to which a role can be passed" ("IAM and AWS STS condition context keys",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService).
func (g *gen) createJobs() {
	bs := g.batchBuckets()
	if len(bs) == 0 {
		return
	}
	var roles []string
	for _, b := range bs {
		roles = append(roles, b.Batch.RoleARN)
	}
	g.add("CreateBatchJobs", []string{"s3:CreateJob"}, []string{"*"}, map[string]map[string][]string{
		"StringEquals": {"s3:RequestJobOperation": jobOperations},
	})
	g.add("PassTheBatchJobRoles", []string{"iam:PassRole"}, roles, map[string]map[string][]string{
		"StringEquals": {"iam:PassedToService": {batchService}},
	})
}

// batchRole is the job role's permissions: list the bucket for the generated manifest, change its
// objects (UpdateObjectEncryption, or a copy onto itself, which reads and writes the object and
// its tags), write the manifest and the report under the report location and read the manifest
// back, and use the keys through S3 for these buckets' objects. "Granting permissions for Batch
// Operations", Attaching permissions policies:
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html
func (g *gen) batchRole() error {
	bs := g.batchBuckets()
	if len(bs) == 0 {
		return errors.New("no bucket of the policy file uses S3 Batch Operations (batch_operations with existing_objects: reencrypt and engine auto or batch-operations)")
	}
	var buckets, reports, reportBuckets, ctxARNs []string
	for _, b := range bs {
		buckets = append(buckets, g.bucketARN(b.Name))
		prefix := strings.TrimSuffix(b.Batch.ReportPrefix, "/")
		if prefix != "" {
			prefix += "/"
		}
		reports = append(reports, g.objectARN(b.Batch.ReportBucket, prefix+b.Name))
		reportBuckets = append(reportBuckets, g.bucketARN(b.Batch.ReportBucket))
		ctxARNs = append(ctxARNs, g.bucketARN(b.Name), g.bucketARN(b.Name)+"/*")
	}
	g.add("ListBucketsForTheManifest", []string{"s3:ListBucket", "s3:GetBucketLocation"}, buckets, nil)
	// The copy jobs set no ACL (batchops asks for none: no CannedAccessControlList, no
	// AccessControlGrants), so the role is not granted s3:PutObjectAcl, which AWS's generic copy
	// policy lists; reading the source's ACL (s3:GetObjectAcl) stays, as that policy has it.
	g.add("ReencryptObjects", []string{"s3:UpdateObjectEncryption", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject",
		"s3:GetObjectTagging", "s3:PutObjectTagging", "s3:GetObjectAcl"}, g.objectResources(bs), nil)
	g.add("WriteManifestAndReport", []string{"s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"}, reports, nil)
	g.add("LocateReportBuckets", []string{"s3:GetBucketLocation"}, reportBuckets, nil)
	g.add("KeysThroughS3ForTheseBuckets", []string{"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"},
		[]string{g.anyKey()}, map[string]map[string][]string{
			"StringLike": {"kms:ViaService": {"s3.*." + dnsSuffix(g.partition)}, "kms:EncryptionContext:aws:s3:arn": ctxARNs},
		})
	return nil
}

// BatchTrust is the job role's trust policy: S3 Batch Operations may assume it, for jobs of
// account alone. aws:SourceAccount is the account of the resource on whose behalf a service
// principal calls ("AWS global condition context keys", aws:SourceAccount: present "when the call
// to your resource is made directly by an AWS service principal",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount),
// which keeps the role from serving another account's jobs (the confused deputy). aws:SourceArn
// is not required: no S3 page read here documents which ARN Batch Operations sends when it
// assumes a job's role, and a condition on a key that is absent would refuse every job.
func BatchTrust(account string) (*iampolicy.Document, error) {
	if account == "" {
		return nil, errors.New("the batch role's trust policy names the account whose jobs may use it: pass --account or name it in the policy file")
	}
	return &iampolicy.Document{Version: iampolicy.Version2012, Statements: []iampolicy.Statement{{
		Sid: "BatchOperationsJobsOfThisAccount", Effect: iampolicy.EffectAllow, Principal: &iampolicy.Principal{Service: []string{batchService}},
		Action:    []string{"sts:AssumeRole"},
		Condition: map[string]map[string][]string{"StringEquals": {"aws:SourceAccount": {account}}},
	}}}, nil
}
