package batchops

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sseguard/sseguard/internal/awserr"
)

// The record is sseguard's memory of a bucket's generations of jobs, an object in the report
// bucket beside the completion reports: <report_prefix>/<bucket>/sseguard-batch-record.json. AWS
// forgets jobs: ListJobs lists "jobs that finished within the last 90 days" (Listing jobs,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-list-jobs.html) and "Jobs are
// automatically deleted 90 days after reaching a terminal state" (Troubleshooting S3 Batch
// Operations, https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-batch-operations.html).
// Without the record a later run would start generation 0 again. Apply writes it before creating
// a generation's jobs (with the generation's start, so every token can be sent again with the
// same parameters) and again with their ids, and when it sees them end.
//
// It is read and written with ExpectedBucketOwner (the home account), written conditionally on
// the ETag read (If-Match, or If-None-Match for a new one: two runs cannot overwrite each other),
// and checked on read, since anyone who can write under the report prefix can write it:
//   - its shape: the format, this account and bucket, generations numbered from 0, each job's
//     operation, kind and class, and each token equal to the digest of the parameters recorded
//     beside it (a record edited by hand or truncated does not pass);
//   - against AWS: every job it names for the latest generation is described; one AWS knows must
//     be exactly the job sseguard creates (Verify), and one AWS no longer knows must have ended
//     by the record's own account (AWS deletes only jobs that ended 90 days before).
// Whoever can write the record can still make sseguard believe a generation ended after its
// jobs expired: the record never makes a bucket read in sync (that is the check scan's, from the
// objects), so the most such a record can do is stop sseguard (a blocker) or make it start the
// next generation.

// RecordName is the record's object name under <report_prefix>/<bucket>/.
const RecordName = "sseguard-batch-record.json"

// RecordFormat is the record's format marker.
const RecordFormat = "sseguard-batch-record/1"

// Limits a record read must respect.
const (
	maxRecordSize     = 256 << 10
	maxGenerations    = 10_000
	maxJobsGeneration = 64
)

// Record is a bucket's record.
type Record struct {
	Format      string             `json:"format"`
	Account     string             `json:"account"`
	Bucket      string             `json:"bucket"`
	Requirement string             `json:"requirement"`
	Generations []RecordGeneration `json:"generations"`
}

// RecordGeneration is one generation's start and jobs.
type RecordGeneration struct {
	Generation    int         `json:"generation"`
	CreatedBefore time.Time   `json:"created_before"`
	Jobs          []RecordJob `json:"jobs"`
}

// RecordJob is one job: the parameters its token was computed from, then what became of it.
type RecordJob struct {
	Operation            Operation `json:"operation"`
	Filter               Kind      `json:"filter"`
	StorageClass         string    `json:"storage_class,omitempty"`
	MaxObjectSize        int64     `json:"max_object_size,omitempty"`
	Partition            string    `json:"partition"`
	RoleARN              string    `json:"role_arn"`
	ReportBucket         string    `json:"report_bucket"`
	ReportPrefix         string    `json:"report_prefix,omitempty"`
	Priority             int32     `json:"priority"`
	ConfirmationRequired bool      `json:"confirmation_required"`
	Token                string    `json:"token"`
	ID                   string    `json:"id,omitempty"`
	Status               string    `json:"status,omitempty"`
	Terminated           time.Time `json:"terminated,omitzero"`
	Total                int64     `json:"total_tasks,omitempty"`
	Failed               int64     `json:"tasks_failed,omitempty"`
}

// spec is the job's spec: base (the requirement's fields) with the job's recorded parameters.
func (j RecordJob) spec(base Spec, g RecordGeneration) Spec {
	s := base
	s.Operation, s.Kind, s.StorageClass, s.MaxObjectSize = j.Operation, j.Filter, j.StorageClass, j.MaxObjectSize
	s.Partition, s.RoleARN, s.ReportBucket, s.ReportPrefix = j.Partition, j.RoleARN, j.ReportBucket, j.ReportPrefix
	s.Priority, s.ConfirmationRequired = j.Priority, j.ConfirmationRequired
	s.Generation, s.CreatedBefore = g.Generation, g.CreatedBefore
	return s
}

// recordJob is the record's entry for a spec, before the job exists.
func recordJob(s Spec) RecordJob {
	return RecordJob{Operation: s.Operation, Filter: s.Kind, StorageClass: s.StorageClass, MaxObjectSize: s.MaxObjectSize,
		Partition: s.Partition, RoleARN: s.RoleARN, ReportBucket: s.ReportBucket, ReportPrefix: s.ReportPrefix,
		Priority: s.Priority, ConfirmationRequired: s.ConfirmationRequired, Token: s.Token()}
}

// RecordError says why a bucket's record cannot be believed.
type RecordError struct {
	Location string
	Why      string
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("the Batch Operations record %s cannot be believed: %s", e.Location, e.Why)
}

// Store is what the record and the completion reports need of S3 (the SDK's signatures).
type Store interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// The SDK's S3 client is the Store a run uses (pipeline's batchStore asks for it by assertion).
var _ Store = (*s3.Client)(nil)

// RecordKey is the record's key in the report bucket.
func (s Spec) RecordKey() string { return s.ReportBase() + "/" + RecordName }

// RecordLocation is the record's s3:// address.
func (s Spec) RecordLocation() string { return "s3://" + s.ReportBucket + "/" + s.RecordKey() }

// readLimited reads a whole object of at most max bytes, with the account as its expected owner.
func readLimited(ctx context.Context, store Store, bucket, key, owner string, max int64) ([]byte, string, error) {
	out, err := store.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ExpectedBucketOwner: aws.String(owner)})
	if err != nil {
		return nil, "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		return nil, "", err
	}
	if int64(len(b)) > max {
		return nil, "", fmt.Errorf("s3://%s/%s is larger than %d bytes", bucket, key, max)
	}
	return b, aws.ToString(out.ETag), nil
}

// ReadRecord reads the bucket's record. It answers nil without an error when there is none; the
// ETag is the one to write over (also for a record of another requirement, answered nil).
func ReadRecord(ctx context.Context, store Store, base Spec) (*Record, string, error) {
	loc := base.RecordLocation()
	b, etag, err := readLimited(ctx, store, base.ReportBucket, base.RecordKey(), base.Account, maxRecordSize)
	switch {
	case awserr.Is(err, awserr.CodeNoSuchKey, awserr.CodeNotFound):
		return nil, "", nil
	case err != nil:
		return nil, "", fmt.Errorf("read the Batch Operations record %s: %w", loc, err)
	}
	var r Record
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, etag, &RecordError{Location: loc, Why: "it is not sseguard's record format: " + err.Error()}
	}
	if r.Format != RecordFormat {
		return nil, etag, &RecordError{Location: loc, Why: fmt.Sprintf("format %q, not %q", r.Format, RecordFormat)}
	}
	if r.Account != base.Account || r.Bucket != base.Bucket {
		return nil, etag, &RecordError{Location: loc, Why: fmt.Sprintf("it is for bucket %s of account %s", r.Bucket, r.Account)}
	}
	if r.Requirement != base.Requirement() {
		return nil, etag, nil // an earlier requirement's: nothing of it applies to this one
	}
	if why := r.check(base); why != "" {
		return nil, etag, &RecordError{Location: loc, Why: why}
	}
	return &r, etag, nil
}

var jobIDRE = regexp.MustCompile(`^[A-Za-z0-9-]{5,36}$`)

// check answers why the record's shape is not one sseguard writes, or "".
func (r *Record) check(base Spec) string {
	if len(r.Generations) > maxGenerations {
		return fmt.Sprintf("%d generations", len(r.Generations))
	}
	var last time.Time
	for i, g := range r.Generations {
		switch {
		case g.Generation != i:
			return fmt.Sprintf("generation %d is numbered %d", i, g.Generation)
		case g.CreatedBefore.IsZero() || g.CreatedBefore.After(time.Now().Add(10*time.Minute)) || g.CreatedBefore.Before(last):
			return fmt.Sprintf("generation %d started %s, not after the one before and not in the future", i, g.CreatedBefore.Format(time.RFC3339))
		case len(g.Jobs) > maxJobsGeneration:
			return fmt.Sprintf("generation %d lists %d jobs", i, len(g.Jobs))
		}
		last = g.CreatedBefore
		seen := map[string]bool{}
		for _, j := range g.Jobs {
			s := j.spec(base, g)
			if _, err := s.Input(); err != nil {
				return fmt.Sprintf("generation %d: a job sseguard would not create: %v", i, err)
			}
			key := string(j.Operation) + " " + string(j.Filter) + " " + j.StorageClass
			switch {
			case seen[key]:
				return fmt.Sprintf("generation %d lists %s twice", i, key)
			case j.Token != s.Token():
				return fmt.Sprintf("generation %d: the token of %s is not the one its parameters give", i, key)
			case j.ID != "" && !jobIDRE.MatchString(j.ID):
				return fmt.Sprintf("generation %d: %q is not a job id", i, j.ID)
			case j.Status != "" && !slices.Contains(jobStatuses, j.Status):
				return fmt.Sprintf("generation %d: %q is not a job status", i, j.Status)
			}
			seen[key] = true
		}
	}
	return ""
}

// jobStatuses are S3 Control's JobStatus values.
var jobStatuses = []string{"Active", "Cancelled", "Cancelling", "Complete", "Completing", "Failed", "Failing", "New",
	"Paused", "Pausing", "Preparing", "Ready", "Suspended"}

// ended says whether a job status is terminal.
func ended(status string) bool {
	return status == "Complete" || status == "Failed" || status == "Cancelled"
}

// WriteRecord writes the record over the version read (etag; "" for none): If-Match, or
// If-None-Match "*" for a new one, so that two runs never overwrite each other's (S3 answers 412).
// It answers the new ETag.
func WriteRecord(ctx context.Context, store Store, base Spec, r *Record, etag string) (string, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	in := &s3.PutObjectInput{Bucket: aws.String(base.ReportBucket), Key: aws.String(base.RecordKey()), Body: bytes.NewReader(b),
		ContentType: aws.String("application/json"), ExpectedBucketOwner: aws.String(base.Account)}
	if etag != "" {
		in.IfMatch = aws.String(etag)
	} else {
		in.IfNoneMatch = aws.String("*")
	}
	out, err := store.PutObject(ctx, in)
	if awserr.Is(err, awserr.CodePreconditionFailed, awserr.CodeConditionalConflict) {
		return "", fmt.Errorf("write the Batch Operations record %s: it changed since this run read it (another run at the same time?): %w", base.RecordLocation(), err)
	}
	if err != nil {
		return "", fmt.Errorf("write the Batch Operations record %s: %w", base.RecordLocation(), err)
	}
	return aws.ToString(out.ETag), nil
}

// generation answers the record's entry for generation n, nil when it has none.
func (r *Record) generation(n int) *RecordGeneration {
	if r == nil || n < 0 || n >= len(r.Generations) {
		return nil
	}
	return &r.Generations[n]
}

// job answers the generation's entry for a spec's operation, kind and class, nil when none.
func (g *RecordGeneration) job(s Spec) *RecordJob {
	for i := range g.Jobs {
		j := &g.Jobs[i]
		if j.Operation == s.Operation && j.Filter == s.Kind && j.StorageClass == s.StorageClass {
			return j
		}
	}
	return nil
}
