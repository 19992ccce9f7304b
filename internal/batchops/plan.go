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

// Base is the requirement's spec of a reencrypt-objects change on the batch engine: everything but
// a job's operation, kind, class, size, generation and start.
func Base(c plan.Change, rule plan.Rule, account, partition string) (Spec, error) {
	if c.Batch == nil {
		return Spec{}, errors.New("the change has no batch_operations")
	}
	if partition == "" {
		partition = Partition(c.Region)
	}
	s := Spec{
		Account: account, Partition: partition, Bucket: c.Bucket, Prefixes: c.Prefixes,
		RoleARN: c.Batch.RoleARN, ReportBucket: c.Batch.ReportBucket, ReportPrefix: c.Batch.ReportPrefix,
		ConfirmationRequired: c.Batch.ConfirmationRequired, Priority: c.Batch.Priority, Revision: c.Batch.Revision,
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

// SpecFor is the spec of one of the change's jobs (the plan chose its operation, kind, class, size
// limit and generation: plan.BatchJobsFor); its start is the generation's, set by Ensure.
func SpecFor(base Spec, j plan.BatchJob) Spec {
	s := base
	s.Operation, s.Kind, s.StorageClass, s.MaxObjectSize, s.Generation = Operation(j.Operation), Kind(j.Filter), j.StorageClass, j.MaxObjectSize, j.Generation
	return s
}

// Requirement answers the requirement id of a change's jobs (see Spec.Requirement), or "" when
// it cannot be known yet (a key this plan creates).
func Requirement(c plan.Change, rule plan.Rule, account string) string {
	s, err := Base(c, rule, account, "")
	if err != nil {
		return ""
	}
	return s.Requirement()
}

// PlanJob converts a job for the plan and the report.
func PlanJob(j *Job, region string, account string) plan.BatchJob {
	out := plan.BatchJob{Operation: string(j.Operation), Filter: string(j.Kind), StorageClass: j.StorageClass, Generation: j.Generation,
		ID: j.ID, Status: j.Status, Created: j.Created, Total: j.Total, Succeeded: j.Succeeded, Failed: j.Failed,
		AwaitingConfirmation: j.AwaitingConfirmation, FailureReasons: j.FailureReasons, New: j.New}
	if j.Status == StatusExpired && ended(j.RecordedStatus) {
		out.EndedAs = j.RecordedStatus // what the record says of how it ended
	}
	if j.Operation == PutObjectCopy {
		out.MaxObjectSize = plan.MaxBatchCopySize
	}
	if j.AwaitingConfirmation {
		out.ConfirmCommand = ConfirmCommand(account, region, j.ID)
	}
	return out
}

// PlanJobs converts Find's answer for the plan.
func PlanJobs(f *Found, region, account string) (jobs, missing []plan.BatchJob, foreign []plan.ForeignJob) {
	for _, j := range f.Jobs {
		jobs = append(jobs, PlanJob(j, region, account))
	}
	for _, s := range f.Missing {
		pj := plan.BatchJob{Operation: string(s.Operation), Filter: string(s.Kind), StorageClass: s.StorageClass, MaxObjectSize: s.MaxObjectSize, Generation: s.Generation}
		missing = append(missing, pj)
	}
	for _, e := range f.Foreign {
		foreign = append(foreign, plan.ForeignJob{ID: e.ID, Description: e.Description, Why: strings.Join(e.Why, "; ")})
	}
	return jobs, missing, foreign
}

// Starter creates (or finds) the jobs of batch re-encryptions; it implements apply.BatchStarter.
type Starter struct {
	// Client answers the s3control client for a region; Store the S3 client that reads and writes
	// the bucket's record in the report bucket (in the change's region).
	Client func(region string) API
	Store  func(region string) Store
	// Account is the account the jobs are created in.
	Account string
	// Partition is the ARN partition; empty means the one of each change's region.
	Partition string
	// RunStart is the run's start: a new generation's manifests take objects created before it.
	RunStart time.Time
}

// Start makes sure each job the change lists exists, creating those that do not (a job found is
// only read again), and answers them all. It reads the jobs again first (Find): a job that appeared
// since the plan with sseguard's description but not its shape stops it.
func (s *Starter) Start(ctx context.Context, c plan.Change, rule plan.Rule) ([]plan.BatchJob, error) {
	base, err := Base(c, rule, s.Account, s.Partition)
	if err != nil {
		return nil, fmt.Errorf("batch jobs for bucket %s: %w", c.Bucket, err)
	}
	if len(c.BatchJobs) == 0 {
		return nil, fmt.Errorf("batch jobs for bucket %s: the plan lists none", c.Bucket)
	}
	api, store := s.Client(c.Region), s.Store(c.Region)
	found, err := Find(ctx, api, store, base)
	if err != nil {
		return nil, err
	}
	if len(found.Foreign) > 0 {
		return nil, fmt.Errorf("batch jobs for bucket %s: nothing created: %w", c.Bucket, found.Foreign[0])
	}
	gen := c.BatchJobs[0].Generation
	var specs []Spec
	for _, pj := range c.BatchJobs {
		specs = append(specs, SpecFor(base, pj))
	}
	jobs, err := Ensure(ctx, api, store, base, found, gen, specs, s.RunStart)
	var out []plan.BatchJob
	for _, j := range jobs {
		out = append(out, PlanJob(j, c.Region, s.Account))
	}
	return out, err
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
