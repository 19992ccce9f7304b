package batchops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sseguard/sseguard/internal/plan"
)

// SpecFor turns one job of a reencrypt-objects change on the batch engine (the plan chose its
// operation, kind, size limit and generation: plan.BatchJobsFor) into the job's spec.
func SpecFor(c plan.Change, j plan.BatchJob, rule plan.Rule, account, partition string, start time.Time) (Spec, error) {
	if c.Batch == nil {
		return Spec{}, errors.New("the change has no batch_operations")
	}
	s := Spec{
		Account: account, Partition: partition, Bucket: c.Bucket, Prefixes: c.Prefixes, CreatedBefore: start,
		RoleARN: c.Batch.RoleARN, ReportBucket: c.Batch.ReportBucket, ReportPrefix: c.Batch.ReportPrefix,
		ConfirmationRequired: c.Batch.ConfirmationRequired, Priority: c.Batch.Priority, Revision: c.Batch.Revision,
		Operation: Operation(j.Operation), Kind: Kind(j.Filter), MaxObjectSize: j.MaxObjectSize, Generation: j.Generation,
	}
	switch rule.Algorithm {
	case plan.AlgKMS:
		if rule.KeyARN == "" {
			return Spec{}, errors.New("the key's ARN is not known yet")
		}
		s.KMSKeyARN, s.BucketKey = rule.KeyARN, rule.BucketKey
	case plan.AlgAES256:
	default:
		return Spec{}, fmt.Errorf("no batch job for algorithm %q", rule.Algorithm)
	}
	return s, nil
}

// Requirement answers the requirement id of a change's jobs (see Spec.Requirement), or "" when
// it cannot be known yet (a key this plan creates).
func Requirement(c plan.Change, rule plan.Rule, account string) string {
	s, err := SpecFor(c, plan.BatchJob{}, rule, account, "", time.Time{})
	if err != nil {
		return ""
	}
	return s.Requirement()
}

// PlanJob converts a job for the plan and the report.
func PlanJob(j *Job, region string, account string) plan.BatchJob {
	out := plan.BatchJob{Operation: string(j.Operation), Filter: string(j.Kind), Generation: j.Generation,
		ID: j.ID, Status: j.Status, Created: j.Created, Total: j.Total, Succeeded: j.Succeeded, Failed: j.Failed,
		AwaitingConfirmation: j.AwaitingConfirmation, FailureReasons: j.FailureReasons, New: j.New}
	if j.Operation == PutObjectCopy {
		out.MaxObjectSize = plan.MaxBatchCopySize
	}
	if j.AwaitingConfirmation {
		out.ConfirmCommand = ConfirmCommand(account, region, j.ID)
	}
	return out
}

// Starter creates (or finds) the jobs of batch re-encryptions; it implements apply.BatchStarter.
type Starter struct {
	// Client answers the s3control client for a region.
	Client  func(region string) API
	Account string
	// Partition is the ARN partition; empty means the one of each change's region.
	Partition string
	// Start is the run's start: the jobs' manifests take objects created before it.
	RunStart time.Time
}

// Start makes sure each job the change lists exists, creating those that do not (a job the plan
// found is only read again), and answers them all. It stops at the first job it cannot make,
// answering those made so far with the error.
func (s *Starter) Start(ctx context.Context, c plan.Change, rule plan.Rule) ([]plan.BatchJob, error) {
	partition := s.Partition
	if partition == "" {
		partition = Partition(c.Region)
	}
	var out []plan.BatchJob
	for _, pj := range c.BatchJobs {
		spec, err := SpecFor(c, pj, rule, s.Account, partition, s.RunStart)
		if err != nil {
			return out, fmt.Errorf("batch job for bucket %s: %w", c.Bucket, err)
		}
		j, err := Ensure(ctx, s.Client(c.Region), spec)
		if err != nil {
			return out, err
		}
		out = append(out, PlanJob(j, c.Region, s.Account))
	}
	return out, nil
}

// Lister is the S3 call Count makes.
type Lister interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// Count lists a bucket's objects under prefixes (all of it when there are none) until it has seen
// more than limit, and answers how many it saw and whether that is all of them. It is what
// engine: auto weighs when apply has not scanned the bucket: one ListObjectsV2 page per 1,000
// objects, limit/1,000 + 1 pages at most.
func Count(ctx context.Context, api Lister, bucket, owner string, prefixes []string, limit int) (int, bool, error) {
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	n := 0
	for _, p := range prefixes {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: "url"}
		if p != "" {
			in.Prefix = aws.String(p)
		}
		if owner != "" {
			in.ExpectedBucketOwner = aws.String(owner)
		}
		pg := s3.NewListObjectsV2Paginator(api, in)
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			if err != nil {
				return n, false, fmt.Errorf("list objects of %s under %q: %w", bucket, p, err)
			}
			n += len(out.Contents)
			if n > limit {
				return n, false, nil
			}
		}
	}
	return n, true, nil
}

// Partition answers the ARN partition of a region (aws, aws-cn, aws-us-gov).
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
