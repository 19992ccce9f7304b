package batchops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
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

// Spec is one job sseguard wants for a bucket.
type Spec struct {
	Account   string
	Partition string
	Bucket    string
	Operation Operation
	// KMSKeyARN is the required key for sse-kms; empty for sse-s3 (copies then take the bucket's
	// default encryption, which sseguard sets before any object change).
	KMSKeyARN string
	BucketKey bool
	// Kinds are the encryption kinds whose objects the job changes. For KindSSEKMS, WrongKeyARNs
	// narrow it to objects under those keys (an empty list means every SSE-KMS object).
	Kinds        []Kind
	WrongKeyARNs []string
	// BucketKeyOff adds the required key's objects that have Bucket Key off.
	BucketKeyOff bool
	Prefixes     []string
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
}

// Target names what the job changes objects to: the key ARN, or "sse-s3".
func (s Spec) Target() string {
	if s.KMSKeyARN == "" {
		return "sse-s3"
	}
	return s.KMSKeyARN
}

// Token is the job's ClientRequestToken: the same spec (run start aside) gives the same token, so
// a lost CreateJob answer retried, or a later run, cannot make a second job. At most 64 characters
// (CreateJob request parameters).
func (s Spec) Token() string {
	h := sha256.New()
	kinds := make([]string, 0, len(s.Kinds))
	for _, k := range s.Kinds {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	wrong := append([]string(nil), s.WrongKeyARNs...)
	sort.Strings(wrong)
	prefixes := append([]string(nil), s.Prefixes...)
	sort.Strings(prefixes)
	for _, part := range []string{s.Account, s.Bucket, string(s.Operation), s.Target(), fmt.Sprint(s.BucketKey, s.BucketKeyOff), strings.Join(kinds, ","), strings.Join(wrong, ","), strings.Join(prefixes, "\x01"), s.Revision} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return "sseguard-" + hex.EncodeToString(h.Sum(nil))[:40]
}

// Description is the job description sseguard writes and later finds the job by.
func (s Spec) Description() string { return "sseguard " + s.Token() }

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
	if len(s.Kinds) == 0 && !s.BucketKeyOff {
		return nil, errors.New("a batch job needs at least one kind of object to change")
	}
	op := &types.JobOperation{}
	switch s.Operation {
	case UpdateObjectEncryption:
		if s.KMSKeyARN == "" {
			return nil, errors.New("S3UpdateObjectEncryption can only change objects to SSE-KMS; it needs the key ARN")
		}
		for _, k := range s.Kinds {
			if k == KindNotSSE || k == KindDSSE {
				return nil, fmt.Errorf("S3UpdateObjectEncryption cannot change %s objects; copy them instead", k)
			}
		}
		op.S3UpdateObjectEncryption = &types.S3UpdateObjectEncryptionOperation{ObjectEncryption: &types.ObjectEncryption{
			SSEKMS: &types.S3UpdateObjectEncryptionSSEKMS{KMSKeyArn: aws.String(s.KMSKeyARN), BucketKeyEnabled: aws.Bool(s.BucketKey)},
		}}
	case PutObjectCopy:
		// Copy onto itself. With neither NewObjectMetadata nor NewObjectTagging, S3 keeps the
		// source's metadata and tags ("S3CopyObjectOperation",
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
	for _, k := range s.Kinds {
		switch k {
		case KindSSES3:
			filter.MatchAnyObjectEncryption = append(filter.MatchAnyObjectEncryption, &types.ObjectEncryptionFilterMemberSSES3{})
		case KindNotSSE:
			filter.MatchAnyObjectEncryption = append(filter.MatchAnyObjectEncryption, &types.ObjectEncryptionFilterMemberNOTSSE{})
		case KindDSSE:
			filter.MatchAnyObjectEncryption = append(filter.MatchAnyObjectEncryption, &types.ObjectEncryptionFilterMemberDSSEKMS{})
		case KindSSEKMS:
			if len(s.WrongKeyARNs) == 0 {
				filter.MatchAnyObjectEncryption = append(filter.MatchAnyObjectEncryption, &types.ObjectEncryptionFilterMemberSSEKMS{})
			}
			for _, arn := range s.WrongKeyARNs {
				filter.MatchAnyObjectEncryption = append(filter.MatchAnyObjectEncryption, &types.ObjectEncryptionFilterMemberSSEKMS{Value: types.SSEKMSFilter{KmsKeyArn: aws.String(arn)}})
			}
		default:
			return nil, fmt.Errorf("unknown object encryption kind %q", k)
		}
	}
	if s.BucketKeyOff && s.KMSKeyARN != "" {
		filter.MatchAnyObjectEncryption = append(filter.MatchAnyObjectEncryption, &types.ObjectEncryptionFilterMemberSSEKMS{Value: types.SSEKMSFilter{KmsKeyArn: aws.String(s.KMSKeyARN), BucketKeyEnabled: aws.Bool(false)}})
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
	ID        string
	Status    string
	Created   time.Time
	Total     int64
	Succeeded int64
	Failed    int64
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

// Find looks for the spec's job among the account's jobs (ListJobs lists jobs not yet finished and
// those finished recently: batch-ops-list-jobs.html) by its description, newest first, and
// describes it. It answers nil when there is none.
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
				return Describe(ctx, api, s.Account, *j.JobId)
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
	j.New = true
	return j, nil
}
