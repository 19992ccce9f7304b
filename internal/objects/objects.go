// Package objects finds the objects of a bucket that are not encrypted the way a policy requires and
// re-encrypts them in place: losslessly (metadata, content type, tags, storage class kept), safely
// under concurrent writers (every write is conditional on the ETag just read), within a budget, and
// resumably (a re-run re-scans and continues where the last one stopped).
//
// A run lists the bucket (ListObjectsV2, one prefix after another) into a bounded pool of workers.
// Listings ask for URL-encoded keys and decode them, so a key holding any character S3 can store
// (control characters included) is scanned and fixed. Each worker reads one object's encryption
// with HeadObject (the listing carries none), compares it with the Target by resolved key ARN, and,
// in Fix, re-encrypts it:
//
//   - with UpdateObjectEncryption where the endpoint is known to implement it and the change is one
//     it supports (SSE-S3 → SSE-KMS, another KMS key → the key, Bucket Key off → on). The first call
//     runs alone and is verified (ETag and size unchanged) before any other is sent; a server that
//     takes the request for a PutObject stops the whole run at once with an error naming the object.
//     A refusal (AccessDenied, or any other error that is neither transient nor about the object
//     having changed or gone) turns it off for the rest of the run, and the objects are copied;
//   - otherwise with CopyObject onto itself (COPY directives, same storage class, the website
//     redirect sent again, If-Match on the source and the destination), or a multipart
//     UploadPartCopy above Options.MultipartThreshold.
//
// Objects a copy would harm are skipped and reported (see the Reason constants). Nothing is ever
// deleted. Every request carries Target.ExpectedBucketOwner when it is set. Findings are streamed to
// Options.OnFinding; the Summary holds counts and a bounded sample.
package objects

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/state"
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
	// encryption first (see Options.CopyFromListing).
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

// UpdateObjectEncryption modes (Options.UpdateObjectEncryption). In auto and always alike, a
// refusal turns the operation off for the rest of the run and the objects are copied instead.
const (
	// UpdateEncryptionAuto uses UpdateObjectEncryption only against AWS's own S3 endpoints.
	UpdateEncryptionAuto = "auto"
	// UpdateEncryptionAlways uses it against any endpoint (still verified, still stopping at the
	// first damage).
	UpdateEncryptionAlways = "always"
	// UpdateEncryptionNever never sends it: every object is copied.
	UpdateEncryptionNever = "never"
)

// Defaults for the zero values of Options.
const (
	// DefaultConcurrency is the number of objects in flight.
	DefaultConcurrency = 64
	// DefaultPartConcurrency is the number of UploadPartCopy requests in flight for one object.
	DefaultPartConcurrency = 8
	// DefaultMultipartThreshold is the size above which an object is copied in parts: 5 GiB, the
	// largest object one CopyObject accepts (Amazon S3 API Reference, "CopyObject",
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
	DefaultMultipartThreshold = 5 << 30
	// DefaultPartSize is the size of each copied part, raised where an object would need more
	// than 10,000 parts.
	DefaultPartSize = 512 << 20
	// DefaultProgressInterval is how often Options.Progress is called.
	DefaultProgressInterval = 5 * time.Second
	// DefaultSampleSize bounds Summary.Sample.
	DefaultSampleSize = 20
	// DefaultCopyFromListingSample is how many objects are read before Fix may copy from the
	// listing (when Options.CopyFromListing allows it).
	DefaultCopyFromListingSample = 100
)

// Limits Options.Validate enforces.
const (
	// MaxConcurrency is the largest Options.Concurrency accepted.
	MaxConcurrency = 1024
	// MaxPartSize is the largest part S3 accepts: 5 GiB (Amazon S3 User Guide, "Amazon S3
	// multipart upload limits", https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html).
	MaxPartSize = 5 << 30
	// MaxMultipartThreshold is the largest Options.MultipartThreshold: no single CopyObject can
	// copy more.
	MaxMultipartThreshold = DefaultMultipartThreshold
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
	// ExpectedBucketOwner, when set, is the account id that must own the bucket: every request of
	// the run carries it (and copies carry it as the source's expected owner too), so S3 refuses
	// them with 403 AccessDenied if a bucket of that name belongs to another account (Amazon S3
	// User Guide, "Verifying bucket ownership with bucket owner condition",
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html).
	ExpectedBucketOwner string
	// BucketPolicy is the bucket's policy document as observed ("" for none or unknown). It is
	// read only to explain a copy refused with AccessDenied: the error then names the statements
	// of this policy that deny it.
	BucketPolicy string
	// TrustedOwners are the accounts besides ExpectedBucketOwner whose buckets a Scan reads an S3
	// Inventory from (the policy's trusted_accounts); a destination of any other account is refused.
	TrustedOwners []string
	// InventoryNotBefore is when sseguard last changed the bucket's objects (the end of its latest
	// Batch Operations generation): a Scan does not use an inventory that began before it.
	InventoryNotBefore time.Time
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
//
// Validate checks the values; Scan and Fix refuse options it refuses.
type Options struct {
	// Concurrency is the number of objects in flight (0: DefaultConcurrency; at most
	// MaxConcurrency). Build the S3 client with an HTTP connection pool at least this large
	// (awsclient.Options{MaxConns: Concurrency + PartConcurrency}); a smaller pool makes requests
	// queue for connections.
	Concurrency int
	// PartConcurrency is the number of UploadPartCopy requests in flight for one large object
	// (0: DefaultPartConcurrency).
	PartConcurrency int
	// RequestsPerSecond caps the S3 requests the run sends; 0 means no cap.
	RequestsPerSecond float64
	// MaxObjects is the budget in objects: objects re-encrypted (or attempted) in Fix, objects
	// read in Scan. 0 means no limit. A run that reaches it stops cleanly; a re-run continues.
	MaxObjects int
	// MaxDuration is the budget in time; 0 means no limit.
	MaxDuration time.Duration
	// MultipartThreshold is the size above which an object is copied in parts (0:
	// DefaultMultipartThreshold; at most MaxMultipartThreshold).
	MultipartThreshold int64
	// PartSize is the size of each copied part (0: DefaultPartSize; at most MaxPartSize), raised
	// so no object needs more than 10,000 parts.
	PartSize int64
	// UpdateObjectEncryption is UpdateEncryptionAuto (the default for ""),
	// UpdateEncryptionAlways or UpdateEncryptionNever.
	UpdateObjectEncryption string
	// Retryer replaces the retryer of every S3 request of the run. nil means the SDK's adaptive
	// mode (client-side rate limiting once S3 throttles) with 10 attempts, backoff up to 20
	// seconds and no retry quota.
	Retryer aws.Retryer
	// Progress, when set, is called every ProgressInterval and once at the end.
	Progress func(Progress)
	// ProgressInterval is how often Progress is called (0: DefaultProgressInterval).
	ProgressInterval time.Duration
	// OnFinding, when set, receives every non-compliant or skipped object as soon as it is
	// decided (and, in Fix, acted on). Calls never overlap.
	OnFinding func(Finding)
	// SampleSize bounds Summary.Sample (0: DefaultSampleSize; negative: no sample).
	SampleSize int
	// CopyFromListing lets Fix copy objects straight from the listing, without reading them
	// first, once the first CopyFromListingSample objects read show that nearly all (90%) need
	// fixing: half the requests on a bucket that is mostly wrong. Off by default, because an
	// object that is not read cannot be copied losslessly: a copy drops the object's
	// x-amz-website-redirect-location unless it is sent again, and only reading the object shows
	// it, so every object copied from the listing LOSES ITS WEBSITE REDIRECT, whatever the
	// bucket's website configuration says (any object of any bucket can carry one). Even when
	// asked, it is used only where nothing else can be lost that way: an unversioned bucket with
	// ACLs disabled, no Object Lock and no website configuration; only for objects the listing
	// shows in a storage class readable at once and below the multipart threshold. The copy still
	// carries If-Match with the listing's ETag, and any failure falls back to reading the object.
	CopyFromListing bool
	// CopyFromListingSample is how many objects are read before deciding (0:
	// DefaultCopyFromListingSample).
	CopyFromListingSample int
}

// Names of options in an OptionError, neutral so that a caller can map them to its own flag or
// input names.
const (
	OptionConcurrency            = "concurrency"
	OptionRequestsPerSecond      = "requests-per-second"
	OptionMaxObjects             = "max-objects"
	OptionMaxDuration            = "max-duration"
	OptionMultipartThreshold     = "multipart-threshold"
	OptionPartSize               = "part-size"
	OptionUpdateObjectEncryption = "update-object-encryption"
)

// OptionError is an option Options.Validate refuses.
type OptionError struct {
	// Option is one of the Option constants.
	Option string
	// Value is the value refused, as text.
	Value string
	// Want says what is accepted, e.g. "0 (the default) to 1024".
	Want string
}

// Error renders the problem with the neutral option name, e.g. "concurrency 2000: want 0 (the
// default) to 1024".
func (e *OptionError) Error() string {
	return fmt.Sprintf("%s %s: want %s", e.Option, e.Value, e.Want)
}

// Validate checks every option and reports each one out of range as an *OptionError (several
// are joined with errors.Join, in the order of the Option constants). The zero value is valid.
func (o Options) Validate() error {
	var errs []error
	bad := func(option, value, want string) {
		errs = append(errs, &OptionError{Option: option, Value: value, Want: want})
	}
	if o.Concurrency < 0 || o.Concurrency > MaxConcurrency {
		bad(OptionConcurrency, fmt.Sprint(o.Concurrency), fmt.Sprintf("0 (the default, %d) to %d", DefaultConcurrency, MaxConcurrency))
	}
	if o.RequestsPerSecond < 0 || math.IsNaN(o.RequestsPerSecond) || math.IsInf(o.RequestsPerSecond, 0) {
		bad(OptionRequestsPerSecond, fmt.Sprint(o.RequestsPerSecond), "0 (no cap) or a positive number")
	}
	if o.MaxObjects < 0 {
		bad(OptionMaxObjects, fmt.Sprint(o.MaxObjects), "0 (no limit) or a positive number")
	}
	if o.MaxDuration < 0 {
		bad(OptionMaxDuration, o.MaxDuration.String(), "0 (no limit) or a positive duration")
	}
	if o.MultipartThreshold < 0 || o.MultipartThreshold > MaxMultipartThreshold {
		bad(OptionMultipartThreshold, fmt.Sprint(o.MultipartThreshold), "0 (the default) to 5 GiB (S3's largest single copy)")
	}
	if o.PartSize < 0 || o.PartSize > MaxPartSize {
		bad(OptionPartSize, fmt.Sprint(o.PartSize), "0 (the default) to 5 GiB (S3's largest part)")
	}
	switch o.UpdateObjectEncryption {
	case "", UpdateEncryptionAuto, UpdateEncryptionAlways, UpdateEncryptionNever:
	default:
		bad(OptionUpdateObjectEncryption, fmt.Sprintf("%q", o.UpdateObjectEncryption),
			fmt.Sprintf("%s, %s or %s", UpdateEncryptionAuto, UpdateEncryptionAlways, UpdateEncryptionNever))
	}
	return errors.Join(errs...)
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
	// Source describes where a Scan's counts come from (an inventory and its age, or why none
	// is used), ready to print; "" for Fix.
	Source string
}

// String renders a progress line for a log.
func (p Progress) String() string {
	var b strings.Builder
	b.WriteString(p.Source)
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
	// Size and ETag are the object's, as read before any change; StorageClass its storage class
	// (STANDARD when S3 names none).
	Size         int64
	ETag         string
	StorageClass string
	// Action is one of the Action constants.
	Action string
	// Err is the error for ActionFailed (and a note for some skips).
	Err string
}

// Summary is the outcome of a run over one bucket.
type Summary struct {
	// Scanned counts objects read; Compliant those already as required.
	Scanned, Compliant int
	// ToFix counts non-compliant objects by Kind; ToFixByClass by Kind, then storage class.
	ToFix        map[string]int
	ToFixByClass map[string]map[string]int
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
	// Sample holds a few findings (at most Options.SampleSize): those with the smallest keys,
	// sorted by key then version id, so that the same bucket gives the same sample on every run.
	Sample []Finding
	// Requests counts the S3 requests made, by operation name.
	Requests map[string]int
	// Retries counts extra attempts the SDK's retryer made (throttling, transient errors).
	Retries int
	// UpdateObjectEncryption says how that API fared: "unused", "used", "not-implemented",
	// "untrusted" (answered OK without changing the encryption), "damaged", or "refused: CODE"
	// ("used, then refused: CODE" when some calls had succeeded) with the error code of the
	// refusal that turned it off, e.g. "refused: AccessDenied".
	UpdateObjectEncryption string
	// Duration is how long the run took.
	Duration time.Duration
	// Source says where a Scan's counts came from: the bucket's S3 Inventory (with its age and
	// how many objects it decided) or HEAD requests (with why no inventory was used). nil for Fix.
	Source *state.ObjectSource
}

// classOf names a storage class as S3 lists it: HeadObject leaves it out for STANDARD.
func classOf(class string) string {
	if class == "" {
		return string(types.StorageClassStandard)
	}
	return class
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
