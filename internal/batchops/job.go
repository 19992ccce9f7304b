package batchops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/smithy-go"
)

// Operation is the Batch Operations operation a job runs.
type Operation string

// The operations sseguard uses. UpdateObjectEncryption re-wraps the data key in place and "supports
// the SSE-KMS encryption type" only, and cannot start from unencrypted, DSSE-KMS or SSE-C objects
// (batch-ops-update-encryption.html, "Restrictions and limitations"); those, and every change to
// SSE-S3, go through a copy onto itself.
const (
	UpdateObjectEncryption Operation = "S3UpdateObjectEncryption"
	PutObjectCopy          Operation = "S3PutObjectCopy"
)

// Kind is an object encryption kind, as MatchAnyObjectEncryption names it
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_ObjectEncryptionFilter.html).
type Kind string

// The kinds a manifest generator can filter on.
const (
	KindSSES3  Kind = "SSE-S3"
	KindSSEKMS Kind = "SSE-KMS"
	KindDSSE   Kind = "DSSE-KMS"
	KindNotSSE Kind = "NOT-SSE"
)

// Spec is one job sseguard wants for a bucket: one operation over one kind of object.
type Spec struct {
	Account   string
	Partition string
	Bucket    string
	Operation Operation
	// KMSKeyARN is the required key for sse-kms; empty for sse-s3 (copies then take the bucket's
	// default encryption, which sseguard sets before any object change).
	KMSKeyARN string
	BucketKey bool
	// Kind is the one encryption kind whose objects the job changes: MatchAnyObjectEncryption
	// takes exactly one entry ("Array Members: Fixed number of 1 item",
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobManifestGeneratorFilter.html).
	// A KindSSEKMS filter names no key: every SSE-KMS object.
	Kind Kind
	// MaxObjectSize, when above 0, leaves larger objects out of the manifest
	// (ObjectSizeLessThanBytes).
	MaxObjectSize int64
	Prefixes      []string
	// CreatedBefore is the run's start: objects uploaded later already get the default encryption.
	CreatedBefore        time.Time
	RoleARN              string
	ReportBucket         string
	ReportPrefix         string
	ConfirmationRequired bool
	Priority             int32
	// Revision identifies the policy version (e.g. the commit); it is part of the token, so a new
	// policy revision may start a new job while re-runs of one revision never do.
	Revision string
	// Generation is the requirement's job round: 0 first, then one more each time every job of
	// the last round has ended and a check still finds objects to fix.
	Generation int
}

// Target names what the job changes objects to: the key ARN, or "sse-s3".
func (s Spec) Target() string {
	if s.KMSKeyARN == "" {
		return "sse-s3"
	}
	return s.KMSKeyARN
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Requirement identifies what the policy requires of the bucket's objects (account, bucket,
// target, Bucket Key, prefixes, revision): every job of every generation for it shares it.
func (s Spec) Requirement() string {
	prefixes := append([]string(nil), s.Prefixes...)
	sort.Strings(prefixes)
	return digest(s.Account, s.Bucket, s.Target(), fmt.Sprint(s.BucketKey), strings.Join(prefixes, "\x01"), s.Revision)[:16]
}

// Token is the job's ClientRequestToken: the same requirement, operation, kind and generation
// give the same token, so a lost CreateJob answer retried, or a later run, cannot make a second
// job, while the next generation gets a new one. At most 64 characters (CreateJob request
// parameters).
func (s Spec) Token() string {
	return "sseguard-" + digest(s.Requirement(), string(s.Operation), string(s.Kind), fmt.Sprint(s.MaxObjectSize), fmt.Sprint(s.Generation))[:40]
}

// Description is the job description sseguard writes and later finds the job by:
// "sseguard <requirement> g<generation> <operation> <kind>" (well within CreateJob's 256
// characters).
func (s Spec) Description() string {
	return fmt.Sprintf("sseguard %s g%d %s %s", s.Requirement(), s.Generation, s.Operation, s.Kind)
}

// parseDescription reads a description Description wrote. Descriptions are anyone's text: a
// description that does not parse is someone else's job.
func parseDescription(d string) (req string, gen int, op Operation, kind Kind, ok bool) {
	f := strings.Fields(d)
	if len(f) != 5 || f[0] != "sseguard" || len(f[1]) != 16 || !strings.HasPrefix(f[2], "g") {
		return "", 0, "", "", false
	}
	n, err := strconv.Atoi(f[2][1:])
	if err != nil || n < 0 || n > 1_000_000 {
		return "", 0, "", "", false
	}
	return f[1], n, Operation(f[3]), Kind(f[4]), true
}

func (s Spec) arn(resource string) string {
	p := s.Partition
	if p == "" {
		p = "aws"
	}
	return "arn:" + p + ":s3:::" + resource
}

// Input builds the CreateJob request for the spec.
func (s Spec) Input() (*s3control.CreateJobInput, error) {
	if s.Account == "" || s.Bucket == "" || s.RoleARN == "" || s.ReportBucket == "" {
		return nil, errors.New("a batch job needs the account, the bucket, batch_operations.role_arn and batch_operations.report_bucket")
	}
	op := &types.JobOperation{}
	switch s.Operation {
	case UpdateObjectEncryption:
		if s.KMSKeyARN == "" {
			return nil, errors.New("S3UpdateObjectEncryption can only change objects to SSE-KMS; it needs the key ARN")
		}
		if s.Kind != KindSSES3 && s.Kind != KindSSEKMS {
			return nil, fmt.Errorf("S3UpdateObjectEncryption cannot change %s objects; copy them instead", s.Kind)
		}
		op.S3UpdateObjectEncryption = &types.S3UpdateObjectEncryptionOperation{ObjectEncryption: &types.ObjectEncryption{
			SSEKMS: &types.S3UpdateObjectEncryptionSSEKMS{KMSKeyArn: aws.String(s.KMSKeyARN), BucketKeyEnabled: aws.Bool(s.BucketKey)},
		}}
	case PutObjectCopy:
		// Copy onto itself. With MetadataDirective COPY and no NewObjectMetadata, S3 "copies all
		// the metadata from the original objects"; with no NewObjectTagging, "the tags of the
		// source objects are copied to destination objects by default" ("S3CopyObjectOperation",
		// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_S3CopyObjectOperation.html).
		c := &types.S3CopyObjectOperation{TargetResource: aws.String(s.arn(s.Bucket)), MetadataDirective: types.S3MetadataDirectiveCopy}
		if s.KMSKeyARN != "" {
			c.SSEAwsKmsKeyId = aws.String(s.KMSKeyARN)
			c.BucketKeyEnabled = s.BucketKey
		}
		op.S3PutObjectCopy = c
	default:
		return nil, fmt.Errorf("unknown operation %q", s.Operation)
	}

	filter := &types.JobManifestGeneratorFilter{CreatedBefore: aws.Time(s.CreatedBefore.UTC())}
	if len(s.Prefixes) > 0 {
		filter.KeyNameConstraint = &types.KeyNameConstraint{MatchAnyPrefix: append([]string(nil), s.Prefixes...)}
	}
	if s.MaxObjectSize > 0 {
		// "includes only source bucket objects whose file size is less than the specified
		// number of bytes" (JobManifestGeneratorFilter): one more keeps objects of exactly the
		// limit.
		filter.ObjectSizeLessThanBytes = aws.Int64(s.MaxObjectSize + 1)
	}
	switch s.Kind {
	case KindSSES3:
		filter.MatchAnyObjectEncryption = []types.ObjectEncryptionFilter{&types.ObjectEncryptionFilterMemberSSES3{}}
	case KindNotSSE:
		filter.MatchAnyObjectEncryption = []types.ObjectEncryptionFilter{&types.ObjectEncryptionFilterMemberNOTSSE{}}
	case KindDSSE:
		filter.MatchAnyObjectEncryption = []types.ObjectEncryptionFilter{&types.ObjectEncryptionFilterMemberDSSEKMS{}}
	case KindSSEKMS:
		filter.MatchAnyObjectEncryption = []types.ObjectEncryptionFilter{&types.ObjectEncryptionFilterMemberSSEKMS{}}
	default:
		return nil, fmt.Errorf("unknown object encryption kind %q", s.Kind)
	}
	prefix := strings.TrimSuffix(s.ReportPrefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	prefix += s.Bucket
	return &s3control.CreateJobInput{
		AccountId:            aws.String(s.Account),
		ClientRequestToken:   aws.String(s.Token()),
		ConfirmationRequired: aws.Bool(s.ConfirmationRequired),
		Description:          aws.String(s.Description()),
		Priority:             aws.Int32(s.Priority),
		RoleArn:              aws.String(s.RoleARN),
		Operation:            op,
		// A failed-tasks report says which objects failed and why (JobReport).
		Report: &types.JobReport{
			Enabled: true, Bucket: aws.String(s.arn(s.ReportBucket)), Prefix: aws.String(prefix),
			Format: types.JobReportFormatReportCsv20180820, ReportScope: types.JobReportScopeFailedTasksOnly,
			ExpectedBucketOwner: aws.String(s.Account),
		},
		ManifestGenerator: &types.JobManifestGeneratorMemberS3JobManifestGenerator{Value: types.S3JobManifestGenerator{
			SourceBucket:         aws.String(s.arn(s.Bucket)),
			ExpectedBucketOwner:  aws.String(s.Account),
			EnableManifestOutput: true,
			ManifestOutputLocation: &types.S3ManifestOutputLocation{
				Bucket: aws.String(s.arn(s.ReportBucket)), ManifestPrefix: aws.String(prefix + "/manifests"),
				ManifestFormat: types.GeneratedManifestFormatS3InventoryReportCsv20211130, ExpectedManifestBucketOwner: aws.String(s.Account),
			},
			Filter: filter,
		}},
		Tags: []types.S3Tag{
			{Key: aws.String("sseguard:bucket"), Value: aws.String(s.Bucket)},
			{Key: aws.String("sseguard:target"), Value: aws.String(tagValue(s.Target()))},
			{Key: aws.String("sseguard:revision"), Value: aws.String(tagValue(s.Revision))},
			{Key: aws.String("sseguard:generation"), Value: aws.String(strconv.Itoa(s.Generation))},
		},
	}, nil
}

// tagValue keeps a tag value within S3Tag's 256 characters.
func tagValue(v string) string {
	if len(v) > 256 {
		return v[:256]
	}
	return v
}

// Job is what a run learns of a job.
type Job struct {
	ID         string
	Operation  Operation
	Kind       Kind
	Generation int
	Status     string
	Created    time.Time
	Total      int64
	Succeeded  int64
	Failed     int64
	// AwaitingConfirmation is true when the job is Suspended until someone confirms it.
	AwaitingConfirmation bool
	FailureReasons       []string
	// New is true when this run created the job.
	New bool
}

// ConfirmCommand is the command that confirms a job awaiting confirmation
// (UpdateJobStatus with RequestedJobStatus Ready).
func ConfirmCommand(account, region, id string) string {
	return fmt.Sprintf("aws s3control update-job-status --account-id %s --region %s --job-id %s --requested-job-status Ready", account, region, id)
}

// Latest finds the jobs of a requirement's latest generation among the account's jobs
// (ListJobs lists jobs not yet finished and those finished recently: batch-ops-list-jobs.html)
// by their descriptions, and describes each. It answers no jobs when there are none.
func Latest(ctx context.Context, api API, account, requirement string) ([]*Job, error) {
	type found struct {
		id   string
		gen  int
		op   Operation
		kind Kind
	}
	var all []found
	latest := -1
	var next *string
	for page := 0; ; page++ {
		if page == 100 {
			return nil, fmt.Errorf("list batch jobs of account %s: more than 100 pages", account)
		}
		out, err := api.ListJobs(ctx, &s3control.ListJobsInput{AccountId: aws.String(account), NextToken: next})
		if err != nil {
			return nil, fmt.Errorf("list batch jobs of account %s: %w", account, err)
		}
		for _, j := range out.Jobs {
			req, gen, op, kind, ok := parseDescription(aws.ToString(j.Description))
			if !ok || req != requirement || j.JobId == nil {
				continue
			}
			all = append(all, found{*j.JobId, gen, op, kind})
			latest = max(latest, gen)
		}
		if out.NextToken == nil || *out.NextToken == "" {
			break
		}
		next = out.NextToken
	}
	var jobs []*Job
	seen := map[string]bool{}
	for _, f := range all {
		key := string(f.op) + " " + string(f.kind)
		if f.gen != latest || seen[key] {
			continue // one job per operation and kind: the token makes sure of it
		}
		seen[key] = true
		j, err := Describe(ctx, api, account, f.id)
		if err != nil {
			return nil, err
		}
		j.Operation, j.Kind, j.Generation = f.op, f.kind, f.gen
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobOrder(jobs[a]) < jobOrder(jobs[b]) })
	return jobs, nil
}

// jobOrder sorts jobs as the plan lists them: updates first, then copies, by kind.
func jobOrder(j *Job) string {
	order := map[Kind]string{KindSSES3: "1", KindSSEKMS: "2", KindNotSSE: "3", KindDSSE: "4"}
	return string(j.Operation)[:3] + order[j.Kind] + string(j.Kind)
}

// Find looks for the spec's own job (its generation, operation and kind) and describes it. It
// answers nil when there is none.
func Find(ctx context.Context, api API, s Spec) (*Job, error) {
	want := s.Description()
	var next *string
	for page := 0; page < 100; page++ {
		out, err := api.ListJobs(ctx, &s3control.ListJobsInput{AccountId: aws.String(s.Account), NextToken: next})
		if err != nil {
			return nil, fmt.Errorf("list batch jobs of account %s: %w", s.Account, err)
		}
		for _, j := range out.Jobs {
			if aws.ToString(j.Description) == want && j.JobId != nil {
				d, err := Describe(ctx, api, s.Account, *j.JobId)
				if d != nil {
					d.Operation, d.Kind, d.Generation = s.Operation, s.Kind, s.Generation
				}
				return d, err
			}
		}
		if out.NextToken == nil || *out.NextToken == "" {
			return nil, nil
		}
		next = out.NextToken
	}
	return nil, fmt.Errorf("list batch jobs of account %s: more than 100 pages", s.Account)
}

// Describe reads one job's state and progress.
func Describe(ctx context.Context, api API, account, id string) (*Job, error) {
	out, err := api.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: aws.String(account), JobId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("describe batch job %s: %w", id, err)
	}
	d := out.Job
	if d == nil {
		return nil, fmt.Errorf("describe batch job %s: the answer holds no job", id)
	}
	j := &Job{ID: aws.ToString(d.JobId), Status: string(d.Status), Created: aws.ToTime(d.CreationTime)}
	if p := d.ProgressSummary; p != nil {
		j.Total, j.Succeeded, j.Failed = aws.ToInt64(p.TotalNumberOfTasks), aws.ToInt64(p.NumberOfTasksSucceeded), aws.ToInt64(p.NumberOfTasksFailed)
	}
	// A job created with ConfirmationRequired waits in Suspended until confirmed
	// (batch-ops-job-status.html); the wording of SuspendedCause is not relied on.
	j.AwaitingConfirmation = d.Status == types.JobStatusSuspended && aws.ToBool(d.ConfirmationRequired)
	for _, r := range d.FailureReasons {
		j.FailureReasons = append(j.FailureReasons, strings.TrimSpace(aws.ToString(r.FailureCode)+" "+aws.ToString(r.FailureReason)))
	}
	return j, nil
}

// Ensure makes sure the spec's job exists: it answers the job found, or creates it. A CreateJob
// whose answer was lost is sent again with the same token, which answers the same job; if that
// fails too, the job is looked for once more before giving up.
func Ensure(ctx context.Context, api API, s Spec) (*Job, error) {
	if j, err := Find(ctx, api, s); err != nil || j != nil {
		return j, err
	}
	in, err := s.Input()
	if err != nil {
		return nil, fmt.Errorf("batch job for bucket %s: %w", s.Bucket, err)
	}
	var out *s3control.CreateJobOutput
	for attempt := 0; attempt < 2; attempt++ {
		out, err = api.CreateJob(ctx, in)
		var apiErr smithy.APIError
		if err == nil || errors.As(err, &apiErr) {
			break // an answer, good or bad: the request was not lost
		}
	}
	if err != nil {
		j, ferr := Find(ctx, api, s)
		if ferr == nil && j != nil {
			j.New = true
			return j, nil
		}
		return nil, fmt.Errorf("create batch job for bucket %s: %w", s.Bucket, err)
	}
	j, err := Describe(ctx, api, s.Account, aws.ToString(out.JobId))
	if err != nil {
		return nil, err
	}
	j.Operation, j.Kind, j.Generation, j.New = s.Operation, s.Kind, s.Generation, true
	return j, nil
}
