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

	"github.com/sseguard/sseguard/internal/awserr"
	"github.com/sseguard/sseguard/internal/plan"
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

// Spec is one job sseguard wants for a bucket: one operation over one kind of object (and, for a
// copy, one storage class).
type Spec struct {
	Account   string
	Partition string
	Bucket    string
	Operation Operation
	// KMSKeyARN is the required key for sse-kms; empty for sse-s3.
	KMSKeyARN string
	BucketKey bool
	// Kind is the one encryption kind whose objects the job changes: MatchAnyObjectEncryption
	// takes exactly one entry ("Array Members: Fixed number of 1 item",
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobManifestGeneratorFilter.html).
	// A KindSSEKMS filter names no key: every SSE-KMS object.
	Kind Kind
	// StorageClass, for a copy, is the one storage class the job takes (MatchAnyStorageClass) and
	// writes (the copy's StorageClass): CopyObject without x-amz-storage-class stores the copy in
	// STANDARD, so each class is copied by a job of its own.
	StorageClass string
	// MaxObjectSize, when above 0, leaves larger objects out of the manifest
	// (ObjectSizeLessThanBytes).
	MaxObjectSize int64
	Prefixes      []string
	// CreatedBefore is when the generation started (kept in the bucket's record): objects uploaded
	// later already get the default encryption.
	CreatedBefore        time.Time
	RoleARN              string
	ReportBucket         string
	ReportPrefix         string
	ConfirmationRequired bool
	Priority             int32
	// Revision identifies the policy version; it is part of the requirement.
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

// Token is the job's ClientRequestToken, a digest of every parameter of the CreateJob request:
// the same request always sends the same token (a lost answer retried, a later run completing a
// generation from the bucket's record), and a token is never sent with other parameters. At most
// 64 characters (CreateJob request parameters).
func (s Spec) Token() string {
	return "sseguard-" + digest(s.Requirement(), s.Partition, string(s.Operation), string(s.Kind), s.StorageClass,
		fmt.Sprint(s.MaxObjectSize), fmt.Sprint(s.Generation), s.CreatedBefore.UTC().Format(time.RFC3339),
		s.RoleARN, s.ReportBucket, s.ReportPrefix, fmt.Sprint(s.ConfirmationRequired), fmt.Sprint(s.Priority))[:40]
}

// Description is the job description sseguard writes and later finds the job by:
// "sseguard <requirement> g<generation> <operation> <kind>", and " <storage class>" for a copy
// (well within CreateJob's 256 characters). A description is anyone's to write: a job is adopted
// only when DescribeJob also shows the shape the description implies (Verify).
func (s Spec) Description() string {
	d := fmt.Sprintf("sseguard %s g%d %s %s", s.Requirement(), s.Generation, s.Operation, s.Kind)
	if s.StorageClass != "" {
		d += " " + s.StorageClass
	}
	return d
}

// described is what a job description says.
type described struct {
	requirement  string
	generation   int
	operation    Operation
	kind         Kind
	storageClass string
}

// descriptionPrefix is how every sseguard description of a requirement starts.
func descriptionPrefix(requirement string) string { return "sseguard " + requirement + " " }

// parseDescription reads a description Description wrote. Descriptions are anyone's text: a
// description that does not parse is not sseguard's shape.
func parseDescription(d string) (described, bool) {
	f := strings.Fields(d)
	if (len(f) != 5 && len(f) != 6) || f[0] != "sseguard" || len(f[1]) != 16 || !strings.HasPrefix(f[2], "g") {
		return described{}, false
	}
	n, err := strconv.Atoi(f[2][1:])
	if err != nil || n < 0 || n > 1_000_000 || strconv.Itoa(n) != f[2][1:] {
		return described{}, false
	}
	out := described{requirement: f[1], generation: n, operation: Operation(f[3]), kind: Kind(f[4])}
	switch out.operation {
	case UpdateObjectEncryption:
		if len(f) != 5 {
			return described{}, false
		}
	case PutObjectCopy:
		if len(f) != 6 {
			return described{}, false
		}
		out.storageClass = f[5]
	default:
		return described{}, false
	}
	switch out.kind {
	case KindSSES3, KindSSEKMS, KindDSSE, KindNotSSE:
	default:
		return described{}, false
	}
	return out, true
}

func (s Spec) arn(resource string) string {
	p := s.Partition
	if p == "" {
		p = "aws"
	}
	return "arn:" + p + ":s3:::" + resource
}

// ReportBase is the key prefix of the bucket's completion reports and record in the report
// bucket: <report_prefix>/<bucket>. Each job's report is under <ReportBase>/job-<id>/.
func (s Spec) ReportBase() string {
	prefix := strings.TrimSuffix(s.ReportPrefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return prefix + s.Bucket
}

// Input builds the CreateJob request for the spec.
func (s Spec) Input() (*s3control.CreateJobInput, error) {
	if s.Account == "" || s.Bucket == "" || s.RoleARN == "" || s.ReportBucket == "" {
		return nil, errors.New("a batch job needs the account, the bucket, batch_operations.role_arn and batch_operations.report_bucket")
	}
	if s.CreatedBefore.IsZero() {
		return nil, errors.New("a batch job needs the generation's start (CreatedBefore)")
	}
	op, err := s.operation()
	if err != nil {
		return nil, err
	}
	filter, err := s.filter()
	if err != nil {
		return nil, err
	}
	base := s.ReportBase()
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
			Enabled: true, Bucket: aws.String(s.arn(s.ReportBucket)), Prefix: aws.String(base),
			Format: types.JobReportFormatReportCsv20180820, ReportScope: types.JobReportScopeFailedTasksOnly,
			ExpectedBucketOwner: aws.String(s.Account),
		},
		ManifestGenerator: &types.JobManifestGeneratorMemberS3JobManifestGenerator{Value: types.S3JobManifestGenerator{
			SourceBucket:         aws.String(s.arn(s.Bucket)),
			ExpectedBucketOwner:  aws.String(s.Account),
			EnableManifestOutput: true,
			ManifestOutputLocation: &types.S3ManifestOutputLocation{
				Bucket: aws.String(s.arn(s.ReportBucket)), ManifestPrefix: aws.String(base + "/manifests"),
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

// operation is the job's operation: S3UpdateObjectEncryption, or a copy of each object onto
// itself.
func (s Spec) operation() (*types.JobOperation, error) {
	op := &types.JobOperation{}
	switch s.Operation {
	case UpdateObjectEncryption:
		if s.KMSKeyARN == "" {
			return nil, errors.New("S3UpdateObjectEncryption can only change objects to SSE-KMS; it needs the key ARN")
		}
		if s.Kind != KindSSES3 && s.Kind != KindSSEKMS {
			return nil, fmt.Errorf("S3UpdateObjectEncryption cannot change %s objects; copy them instead", s.Kind)
		}
		if s.StorageClass != "" {
			return nil, errors.New("S3UpdateObjectEncryption keeps every object's storage class: its job takes no storage class")
		}
		op.S3UpdateObjectEncryption = &types.S3UpdateObjectEncryptionOperation{ObjectEncryption: &types.ObjectEncryption{
			SSEKMS: &types.S3UpdateObjectEncryptionSSEKMS{KMSKeyArn: aws.String(s.KMSKeyARN), BucketKeyEnabled: aws.Bool(s.BucketKey)},
		}}
	case PutObjectCopy:
		if !CopyableClass(s.StorageClass) {
			return nil, fmt.Errorf("a copy job takes one storage class a job can copy (%s), not %q", strings.Join(plan.BatchCopyClasses, ", "), s.StorageClass)
		}
		// Copy onto itself, keeping what CopyObject keeps only when asked ("S3CopyObjectOperation",
		// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_S3CopyObjectOperation.html):
		//   - MetadataDirective COPY: the source's metadata (with REPLACE, the request's);
		//   - StorageClass: "If the x-amz-storage-class header is not used, the copied object will
		//     be stored in the STANDARD Storage Class" (CopyObject), so the job's one class is named;
		//   - NewObjectTagging left out: "If NewObjectTagging is not specified, the tags of the
		//     source objects are copied to destination objects by default";
		//   - the encryption named explicitly (NewObjectMetadata SSEAlgorithm, and the key with
		//     Bucket Key for SSE-KMS) rather than left to the bucket default. AWS documents
		//     NewObjectMetadata absent as "copies all the metadata from the original objects" but not
		//     what a NewObjectMetadata holding only SSEAlgorithm does under MetadataDirective COPY;
		//     CopyObject's own encryption header is not metadata and is honoured under either
		//     directive. docs/existing-objects.md says so, and to try a copy job on a test bucket first.
		c := &types.S3CopyObjectOperation{TargetResource: aws.String(s.arn(s.Bucket)), MetadataDirective: types.S3MetadataDirectiveCopy,
			StorageClass: types.S3StorageClass(s.StorageClass), NewObjectMetadata: &types.S3ObjectMetadata{SSEAlgorithm: types.S3SSEAlgorithmAes256}}
		if s.KMSKeyARN != "" {
			c.NewObjectMetadata.SSEAlgorithm = types.S3SSEAlgorithmKms
			c.SSEAwsKmsKeyId = aws.String(s.KMSKeyARN)
			c.BucketKeyEnabled = s.BucketKey
		}
		op.S3PutObjectCopy = c
	default:
		return nil, fmt.Errorf("unknown operation %q", s.Operation)
	}
	return op, nil
}

// filter chooses the objects the generated manifest lists: created before the generation
// started, under the prefixes, up to the size limit, of the job's storage class and encryption.
func (s Spec) filter() (*types.JobManifestGeneratorFilter, error) {
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
	if s.StorageClass != "" {
		filter.MatchAnyStorageClass = []types.S3StorageClass{types.S3StorageClass(s.StorageClass)}
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
	return filter, nil
}

// tagValue keeps a tag value within S3Tag's 256 characters.
func tagValue(v string) string {
	if len(v) > 256 {
		return v[:256]
	}
	return v
}

// CopyableClass says whether a copy job can take objects of class (plan.BatchCopyClasses).
func CopyableClass(class string) bool { return class != "" && plan.BatchCopyClass(class) }

// Job is what a run learns of a job.
type Job struct {
	ID           string
	Operation    Operation
	Kind         Kind
	StorageClass string
	Generation   int
	Status       string
	Created      time.Time
	Terminated   time.Time
	Total        int64
	Succeeded    int64
	Failed       int64
	// AwaitingConfirmation is true when the job is Suspended until someone confirms it.
	AwaitingConfirmation bool
	FailureReasons       []string
	// New is true when this run created the job.
	New bool
	// CreatedBefore is the job's manifest filter's CreatedBefore (its generation's start).
	CreatedBefore time.Time
	// RecordedStatus is the status the bucket's record holds for an Expired job.
	RecordedStatus string
	// descriptor is DescribeJob's answer, kept to check the job's shape.
	descriptor *types.JobDescriptor
}

// ConfirmCommand is the command that confirms a job awaiting confirmation
// (UpdateJobStatus with RequestedJobStatus Ready).
func ConfirmCommand(account, region, id string) string {
	return fmt.Sprintf("aws s3control update-job-status --account-id %s --region %s --job-id %s --requested-job-status Ready", account, region, id)
}

// errNoJob is DescribeJob's answer for a job AWS does not (or no longer) know: NotFoundException
// in the model, NoSuchJobException in "Troubleshooting S3 Batch Operations"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-batch-operations.html).
var errNoJob = errors.New("no such job")

// Describe reads one job's state, progress and shape.
func Describe(ctx context.Context, api API, account, id string) (*Job, error) {
	out, err := api.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: aws.String(account), JobId: aws.String(id)})
	if awserr.Is(err, awserr.CodeJobNotFound, awserr.CodeNoSuchJob) {
		return nil, fmt.Errorf("describe batch job %s: %w", id, errNoJob)
	}
	if err != nil {
		return nil, fmt.Errorf("describe batch job %s: %w", id, err)
	}
	d := out.Job
	if d == nil {
		return nil, fmt.Errorf("describe batch job %s: the answer holds no job", id)
	}
	j := &Job{ID: aws.ToString(d.JobId), Status: string(d.Status), Created: aws.ToTime(d.CreationTime), Terminated: aws.ToTime(d.TerminationDate), descriptor: d}
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
