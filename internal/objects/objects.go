// Package objects finds the objects of a bucket that are not encrypted the way a policy requires and
// re-encrypts them in place: losslessly (metadata, content type, tags, storage class kept), safely
// under concurrent writers (every write is conditional on the ETag just read), within a budget, and
// resumably (a re-run re-scans and continues where the last one stopped).
//
// A run lists the bucket (ListObjectsV2, one prefix after another) into a bounded pool of workers.
// Each worker reads one object's encryption with HeadObject (the listing carries none), compares it
// with the Target by resolved key ARN, and, in Fix, re-encrypts it:
//
//   - with UpdateObjectEncryption where the endpoint is known to implement it and the change is one
//     it supports (SSE-S3 → SSE-KMS, another KMS key → the key, Bucket Key off → on). The first call
//     runs alone and is verified (ETag and size unchanged) before any other is sent; a server that
//     takes the request for a PutObject stops the whole run at once with an error naming the object;
//   - otherwise with CopyObject onto itself (COPY directives, same storage class, If-Match on the
//     source and the destination), or a multipart UploadPartCopy above Options.MultipartThreshold.
//
// Objects a copy would harm are skipped and reported (see the Reason constants). Nothing is ever
// deleted. Findings are streamed to Options.OnFinding; the Summary holds counts and a bounded sample.
package objects

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Algorithms a Target can require.
const (
	// AlgorithmAES256 is SSE-S3.
	AlgorithmAES256 = "AES256"
	// AlgorithmKMS is SSE-KMS.
	AlgorithmKMS = "aws:kms"
)

// Kinds of non-compliant objects (Finding.Kind and the keys of Summary.ToFix).
const (
	// KindUnencrypted is an object stored without server-side encryption.
	KindUnencrypted = "unencrypted"
	// KindSSES3 is an object under SSE-S3 where SSE-KMS is required.
	KindSSES3 = "sse-s3"
	// KindSSEKMS is an object under SSE-KMS where SSE-S3 is required.
	KindSSEKMS = "sse-kms"
	// KindOtherKMSKey is an object under another KMS key than the required one.
	KindOtherKMSKey = "other-kms-key"
	// KindBucketKeyOff is an object under the required key without an S3 Bucket Key.
	KindBucketKeyOff = "bucket-key-off"
	// KindDSSEKMS is an object under dual-layer SSE-KMS.
	KindDSSEKMS = "dsse-kms"
	// KindUnread is an object re-encrypted straight from the listing, without reading its
	// encryption first (see Options.ListingCopy).
	KindUnread = "unread"
	// KindSkipped marks a finding for an object that cannot be fixed in place; see Finding.Reason.
	KindSkipped = "skipped"
)

// Reasons an object is skipped (Finding.Reason and the keys of Summary.Skipped).
const (
	// ReasonGlacier is an object in GLACIER or DEEP_ARCHIVE (or an archive tier of
	// INTELLIGENT_TIERING) that is not restored: it cannot be copied.
	ReasonGlacier = "glacier-not-restored"
	// ReasonSSEC is an object under a customer-provided key: only its owner can read it.
	ReasonSSEC = "sse-c"
	// ReasonObjectLock is an object under Object Lock retention or a legal hold.
	ReasonObjectLock = "object-lock"
	// ReasonACLGrants is an object whose ACL grants access to others: a copy would drop the grants.
	ReasonACLGrants = "acl-grants"
)

// Actions taken on a finding.
const (
	// ActionFixed means the object was re-encrypted.
	ActionFixed = "fixed"
	// ActionWouldFix means a Scan found the object needs re-encryption.
	ActionWouldFix = "would-fix"
	// ActionSkipped means the object cannot be fixed in place; see Finding.Reason.
	ActionSkipped = "skipped"
	// ActionFailed means re-encryption failed; see Finding.Err.
	ActionFailed = "failed"
)

// UpdateObjectEncryption modes (Options.UpdateObjectEncryption).
const (
	// UOEAuto uses UpdateObjectEncryption only against AWS's own S3 endpoints.
	UOEAuto = "auto"
	// UOEAlways uses it against any endpoint (still verified, still stopping at the first damage).
	UOEAlways = "always"
	// UOENever always copies.
	UOENever = "never"
)

// Reasons a run stopped early (Summary.Stopped).
const (
	// StoppedMaxObjects means Options.MaxObjects was reached.
	StoppedMaxObjects = "max-objects"
	// StoppedMaxDuration means Options.MaxDuration passed.
	StoppedMaxDuration = "max-duration"
	// StoppedError means a fatal error stopped the run; Scan or Fix returns it.
	StoppedError = "error"
)

// Target is what every object in one bucket must end up with.
type Target struct {
	// Bucket is the bucket's name.
	Bucket string
	// Region is the bucket's region (used to resolve key references).
	Region string
	// Algorithm is AlgorithmAES256 or AlgorithmKMS.
	Algorithm string
	// KeyARN is the required KMS key (for AlgorithmKMS). Any other reference (id, alias) is
	// resolved through the KeyResolver first; the key ARN is what gets written. Scan accepts ""
	// for a key that does not exist yet: every KMS-encrypted object then counts as other-kms-key.
	KeyARN string
	// BucketKey requires S3 Bucket Keys on SSE-KMS objects.
	BucketKey bool
	// Prefixes limits the run to keys under these prefixes; empty means the whole bucket.
	Prefixes []string
}

// KeyResolver resolves any key reference S3 returns (id, ARN, alias name, alias ARN) to the key ARN.
type KeyResolver interface {
	ResolveKeyARN(ctx context.Context, region, ref string) (string, error)
}

// S3API is the part of the S3 client a run uses, with the SDK's exact signatures; *s3.Client
// satisfies it.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	CopyObject(ctx context.Context, in *s3.CopyObjectInput, optFns ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, optFns ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error)
	CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	GetObjectTagging(ctx context.Context, in *s3.GetObjectTaggingInput, optFns ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error)
	GetObjectAcl(ctx context.Context, in *s3.GetObjectAclInput, optFns ...func(*s3.Options)) (*s3.GetObjectAclOutput, error)
	GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, optFns ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	GetObjectLockConfiguration(ctx context.Context, in *s3.GetObjectLockConfigurationInput, optFns ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error)
	GetBucketWebsite(ctx context.Context, in *s3.GetBucketWebsiteInput, optFns ...func(*s3.Options)) (*s3.GetBucketWebsiteOutput, error)
	UpdateObjectEncryption(ctx context.Context, in *s3.UpdateObjectEncryptionInput, optFns ...func(*s3.Options)) (*s3.UpdateObjectEncryptionOutput, error)
}

var _ S3API = (*s3.Client)(nil)

// Options tune a run. The zero value is usable.
type Options struct {
	// Concurrency is the number of objects in flight (default 64). Build the S3 client with an
	// HTTP connection pool at least this large (awsclient.Options{MaxConns: Concurrency +
	// PartConcurrency}); a smaller pool makes requests queue for connections.
	Concurrency int
	// PartConcurrency is the number of UploadPartCopy requests in flight for one large object
	// (default 8).
	PartConcurrency int
	// RequestsPerSecond caps the S3 requests the run sends; 0 means no cap.
	RequestsPerSecond float64
	// MaxObjects is the budget in objects: objects re-encrypted (or attempted) in Fix, objects
	// read in Scan. 0 means no limit. A run that reaches it stops cleanly; a re-run continues.
	MaxObjects int
	// MaxDuration is the budget in time; 0 means no limit.
	MaxDuration time.Duration
	// MultipartThreshold is the size above which an object is copied in parts (default 5 GiB,
	// the largest single CopyObject S3 accepts).
	MultipartThreshold int64
	// PartSize is the size of each copied part (default 512 MiB, raised so no object needs more
	// than 10,000 parts).
	PartSize int64
	// UpdateObjectEncryption is UOEAuto (default), UOEAlways or UOENever.
	UpdateObjectEncryption string
	// Retryer replaces the retryer of every S3 request of the run; nil means NewRetryer().
	Retryer aws.Retryer
	// Progress, when set, is called every ProgressInterval and once at the end.
	Progress func(Progress)
	// ProgressInterval is how often Progress is called (default 5s).
	ProgressInterval time.Duration
	// OnFinding, when set, receives every non-compliant or skipped object as soon as it is
	// decided (and, in Fix, acted on). Calls never overlap.
	OnFinding func(Finding)
	// SampleSize bounds Summary.Sample (default 20; negative: no sample).
	SampleSize int
	// ListingCopy lets Fix copy objects straight from the listing, skipping the HeadObject,
	// once the first ListingCopySample objects read show that nearly all (90%) need fixing:
	// half the requests on a bucket that is mostly wrong. Only where nothing can be lost that
	// way: an unversioned bucket, with ACLs disabled, no Object Lock, no website configuration;
	// only for objects the listing shows in a storage class readable at once and below the
	// multipart threshold. The copy still carries If-Match with the listing's ETag, and any
	// failure falls back to reading the object. Default on; ListingCopyOff turns it off.
	ListingCopyOff bool
	// ListingCopySample is how many objects are read before deciding (default 100).
	ListingCopySample int
}

// Progress is a snapshot of a running scan or fix.
type Progress struct {
	// Listed is the number of objects listed so far; ListingDone says whether that is all.
	Listed      int
	ListingDone bool
	// Scanned, ToFix, Fixed, Failed and Skipped count objects as in Summary.
	Scanned, ToFix, Fixed, Failed, Skipped int
	// Elapsed is the time since the run started.
	Elapsed time.Duration
	// Rate is objects scanned per second.
	Rate float64
	// ETA is the expected time to finish; negative when unknown (listing not done yet).
	ETA time.Duration
	// Done is set on the last call.
	Done bool
}

// String renders a progress line for a log.
func (p Progress) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scanned %d", p.Scanned)
	if p.ListingDone {
		fmt.Fprintf(&b, "/%d", p.Listed)
	} else {
		fmt.Fprintf(&b, " (listed %d so far)", p.Listed)
	}
	fmt.Fprintf(&b, ", to fix %d, fixed %d, failed %d, skipped %d, %.1f objects/s", p.ToFix, p.Fixed, p.Failed, p.Skipped, p.Rate)
	switch {
	case p.Done:
		fmt.Fprintf(&b, ", done in %s", p.Elapsed.Round(time.Second))
	case p.ETA >= 0:
		fmt.Fprintf(&b, ", ETA %s", p.ETA.Round(time.Second))
	default:
		b.WriteString(", ETA unknown")
	}
	return b.String()
}

// Finding is one object that is not compliant, or that cannot be fixed in place.
type Finding struct {
	// Key and VersionID name the object (VersionID is empty on unversioned buckets).
	Key, VersionID string
	// Kind is one of the Kind constants; KindSkipped for skipped objects.
	Kind string
	// Reason says why an object is skipped (one of the Reason constants).
	Reason string
	// Observed describes the object's encryption as read, e.g. "aws:kms arn:aws:kms:...".
	Observed string
	// Size and ETag are the object's, as read before any change.
	Size int64
	ETag string
	// Action is one of the Action constants.
	Action string
	// Err is the error for ActionFailed (and a note for some skips).
	Err string
}

// Summary is the outcome of a run over one bucket.
type Summary struct {
	// Scanned counts objects read; Compliant those already as required.
	Scanned, Compliant int
	// ToFix counts non-compliant objects by Kind.
	ToFix map[string]int
	// Skipped counts objects that cannot be fixed in place, by Reason.
	Skipped map[string]int
	// Fixed and Failed count re-encryptions done and failed (Fix only).
	Fixed, Failed int
	// Gone counts listed objects deleted before they could be read.
	Gone int
	// Versioning is the bucket's versioning status ("", "Enabled" or "Suspended").
	Versioning string
	// NoncurrentVersions counts noncurrent versions under the run's prefixes (versioned buckets
	// only). They keep their old encryption; sseguard never deletes a version. In Fix it is
	// counted after the fixes, so it includes the versions the fixes made noncurrent.
	NoncurrentVersions int
	// Remaining counts objects not examined because the run stopped early.
	Remaining int
	// RemainingAtLeast says Remaining is a lower bound (the listing was not finished).
	RemainingAtLeast bool
	// Stopped says why the run stopped early (one of the Stopped constants), "" if it did not.
	Stopped string
	// Sample holds the first few findings (Options.SampleSize).
	Sample []Finding
	// Requests counts the S3 requests made, by operation name.
	Requests map[string]int
	// Retries counts extra attempts the SDK's retryer made (throttling, transient errors).
	Retries int
	// UpdateObjectEncryption says how that API fared: "unused", "used", "not-implemented",
	// "untrusted" (answered OK without changing the encryption) or "damaged".
	UpdateObjectEncryption string
	// Duration is how long the run took.
	Duration time.Duration
}

// TotalToFix is the number of non-compliant objects found.
func (s Summary) TotalToFix() int {
	n := 0
	for _, v := range s.ToFix {
		n += v
	}
	return n
}

// TotalSkipped is the number of objects skipped.
func (s Summary) TotalSkipped() int {
	n := 0
	for _, v := range s.Skipped {
		n += v
	}
	return n
}

// Scan reads every object under the target's prefixes and reports which are not compliant. It
// changes nothing.
func Scan(ctx context.Context, api S3API, keys KeyResolver, t Target, o Options) (Summary, error) {
	return run(ctx, api, keys, t, o, false)
}

// Fix re-encrypts, in place, every object under the target's prefixes that is not compliant.
// A fatal error (an endpoint that damaged an object, a run of consecutive failures, a failed
// listing) stops the run and is returned with the Summary so far; per-object failures are
// counted and reported through OnFinding instead.
func Fix(ctx context.Context, api S3API, keys KeyResolver, t Target, o Options) (Summary, error) {
	return run(ctx, api, keys, t, o, true)
}
