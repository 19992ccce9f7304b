package plan

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The Batch Operations operations sseguard's jobs run.
const (
	// OpUpdateEncryption re-wraps an object's data key in place. In Batch Operations it "supports
	// the SSE-KMS encryption type" only, and it does not support unencrypted objects, nor objects
	// under DSSE-KMS or SSE-C (note in "Updating server-side encryption for existing data",
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/update-sse-encryption.html;
	// "ObjectEncryption", https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_ObjectEncryption.html).
	// It "preserves all object metadata properties, including the storage class", restores no
	// archived object and moves no Intelligent-Tiering object between tiers ("UpdateObjectEncryption",
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UpdateObjectEncryption.html): one job
	// takes every storage class.
	OpUpdateEncryption = "S3UpdateObjectEncryption"
	// OpCopy copies each object onto itself ("Copy objects",
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-copy-object.html).
	OpCopy = "S3PutObjectCopy"
)

// MaxBatchCopySize is the largest object a Batch Operations copy can take: copied objects are
// limited to 5 GB ("Copy objects", Restrictions and limitations,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-copy-object.html). Larger
// objects need a multipart copy (UploadPartCopy), which the local engine does.
const MaxBatchCopySize int64 = 5 << 30

// BatchCopyClasses are the storage classes a copy job takes, one job each, its
// MatchAnyStorageClass and its copy's StorageClass naming the class: without x-amz-storage-class
// "the copied object will be stored in the STANDARD Storage Class" (CopyObject,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html). They are the values of
// MatchAnyStorageClass (JobManifestGeneratorFilter: STANDARD, STANDARD_IA, ONEZONE_IA, GLACIER,
// INTELLIGENT_TIERING, DEEP_ARCHIVE, GLACIER_IR) less GLACIER and DEEP_ARCHIVE, whose objects
// must be restored before a copy ("Copy objects", above). An object of another class
// (REDUCED_REDUNDANCY, which a Batch copy cannot write either) is in no copy job.
var BatchCopyClasses = []string{"STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR"}

// BatchCopyClass says whether a copy job can take objects of class ("" is STANDARD).
func BatchCopyClass(class string) bool {
	for _, c := range BatchCopyClasses {
		if c == StorageClassOf(class) {
			return true
		}
	}
	return false
}

// StorageClassOf names a storage class as S3 lists it: HeadObject leaves it out for STANDARD.
func StorageClassOf(class string) string {
	if class == "" {
		return "STANDARD"
	}
	return class
}

// BatchJob is one S3 Batch Operations job of a requirement: planned (ID empty) or as a run
// found or created it. Each job has one operation and one encryption filter, because a
// manifest generator's MatchAnyObjectEncryption holds exactly one entry ("Array Members: Fixed
// number of 1 item", JobManifestGeneratorFilter,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobManifestGeneratorFilter.html),
// and a copy job one storage class.
type BatchJob struct {
	// Operation is OpUpdateEncryption or OpCopy.
	Operation string
	// Filter is the MatchAnyObjectEncryption kind: SSE-S3, SSE-KMS, DSSE-KMS or NOT-SSE.
	Filter string
	// StorageClass is a copy job's one storage class (MatchAnyStorageClass, and the copy's).
	StorageClass string
	// MaxObjectSize, when set, limits the job to objects of at most this size (copy jobs).
	MaxObjectSize int64
	// Generation counts the requirement's job rounds: 0 first; a new round starts only when
	// every job of the last one has ended and a check scan still finds objects to fix.
	Generation int
	ID         string
	Status     string
	Created    time.Time
	Total      int64
	Succeeded  int64
	Failed     int64
	// AwaitingConfirmation is true while the job waits for someone to confirm it.
	AwaitingConfirmation bool
	// ConfirmCommand confirms the job (set while it awaits confirmation).
	ConfirmCommand string
	FailureReasons []string
	// Report is the job's completion report (its manifest.json), when it was read; FailedTasks
	// are a few of the failed tasks it lists, ReportNote what of it could not be read or checked.
	Report      string
	FailedTasks []FailedTask
	ReportNote  string
	// New is true when this run created the job.
	New bool
	// EndedAs is, for an Expired job, how the bucket's record says it ended ("" not recorded).
	EndedAs string
}

// FailedTask is one failed task of a job's completion report: the object and why, as the report
// says (untrusted text).
type FailedTask struct {
	Key        string
	ErrorCode  string
	HTTPStatus string
	Message    string
}

// StatusExpired is the status of a job the bucket's record names that AWS has deleted: AWS deletes
// ended jobs 90 days after they end ("Troubleshooting S3 Batch Operations",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-batch-operations.html).
const StatusExpired = "Expired"

// What names the job's work, e.g. "S3PutObjectCopy of NOT-SSE STANDARD_IA objects up to 5 GiB".
func (j *BatchJob) What() string {
	s := j.Operation + " of " + j.Filter
	if j.StorageClass != "" {
		s += " " + j.StorageClass
	}
	s += " objects"
	if j.MaxObjectSize > 0 {
		s += " up to " + sizeText(j.MaxObjectSize)
	}
	return s
}

func sizeText(n int64) string {
	if n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Ended reports whether the job has ended: Complete, Failed or Cancelled ("Job statuses",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-job-status.html), or Expired.
func (j *BatchJob) Ended() bool {
	switch j.Status {
	case "Complete", "Failed", "Cancelled", StatusExpired:
		return true
	}
	return false
}

// DidNotFinishCleanly says why an ended job stops its requirement from going on by itself: it
// Failed, someone Cancelled it, or some of its tasks failed. "" when it finished cleanly.
func (j *BatchJob) DidNotFinishCleanly() string {
	status := j.Status
	if status == StatusExpired {
		status = j.EndedAs
	}
	switch {
	case status == "Failed":
		return "the job Failed"
	case status == "Cancelled":
		return "the job was Cancelled"
	case j.Failed > 0:
		return fmt.Sprintf("%d of %d tasks failed", j.Failed, j.Total)
	}
	return ""
}

// Summary describes the job in one line, e.g. "job 1a2b (S3UpdateObjectEncryption of SSE-S3
// objects, generation 0): Active, 48 of 100 tasks succeeded, 2 failed, started 2h ago", or the
// job to create.
func (j *BatchJob) Summary(now time.Time) string {
	if j.ID == "" {
		return fmt.Sprintf("new job (%s, generation %d)", j.What(), j.Generation)
	}
	s := fmt.Sprintf("job %s (%s, generation %d): %s", j.ID, j.What(), j.Generation, j.Status)
	if j.Status == StatusExpired {
		s += " (AWS deleted it 90 days after it ended; from the bucket's record)"
	}
	if j.Total > 0 {
		s += fmt.Sprintf(", %d of %d tasks succeeded, %d failed", j.Succeeded, j.Total, j.Failed)
	}
	if !j.Created.IsZero() && !now.IsZero() && now.After(j.Created) {
		s += ", started " + now.Sub(j.Created).Truncate(time.Second).String() + " ago"
	}
	if len(j.FailureReasons) > 0 {
		s += "; failure reasons: " + strings.Join(j.FailureReasons, "; ")
	}
	if j.AwaitingConfirmation {
		s += "; awaiting confirmation: " + j.ConfirmCommand
	}
	return s
}

// batchJobKinds maps the object kinds a scan counts to the job that fixes them, per required
// algorithm. To SSE-KMS: UpdateObjectEncryption for SSE-S3 and SSE-KMS objects (the SSE-KMS
// filter names no key: it cannot say "not this key", and it also takes the required key's
// objects with Bucket Key off); a copy for unencrypted and DSSE-KMS objects, which
// UpdateObjectEncryption cannot change. To SSE-S3: a copy of every wrong kind
// (UpdateObjectEncryption cannot target SSE-S3 in Batch Operations).
var batchJobKinds = map[string][]struct {
	op, filter string
	kinds      []string
}{
	AlgKMS: {
		{OpUpdateEncryption, "SSE-S3", []string{"sse-s3"}},
		{OpUpdateEncryption, "SSE-KMS", []string{"other-kms-key", "bucket-key-off"}},
		{OpCopy, "NOT-SSE", []string{"unencrypted"}},
		{OpCopy, "DSSE-KMS", []string{"dsse-kms"}},
	},
	AlgAES256: {
		{OpCopy, "NOT-SSE", []string{"unencrypted"}},
		{OpCopy, "SSE-KMS", []string{"sse-kms"}},
		{OpCopy, "DSSE-KMS", []string{"dsse-kms"}},
	},
}

// jobKey names a job by what it takes: "S3UpdateObjectEncryption SSE-S3",
// "S3PutObjectCopy NOT-SSE STANDARD_IA".
func jobKey(op, filter, class string) string {
	if op == OpCopy {
		return op + " " + filter + " " + StorageClassOf(class)
	}
	return op + " " + filter
}

// BatchTally counts a bucket's objects to fix by the job that would take them, and those no job
// can take. A check scan after a generation (by object kind) or an S3 Inventory before the first
// (by the inventory's EncryptionStatus, which is the manifest filter's kind) fill it.
type BatchTally struct {
	// Algorithm is the required algorithm the objects were judged against.
	Algorithm string
	// Jobs counts objects by job (jobKey).
	Jobs map[string]int
	// TooLarge counts objects a copy must rewrite that are over MaxBatchCopySize, by kind.
	TooLarge map[string]int
	// NotCopyable counts objects a copy must rewrite whose storage class no copy job takes, by
	// class (archives not restored, and classes no filter names).
	NotCopyable map[string]int
	// Copies counts objects a copy must rewrite, by kind (before the limits above).
	Copies map[string]int
	// Scanned is how many objects were counted; Source says where the counts come from.
	Scanned int
	Source  string
}

// NewBatchTally starts a tally for objects required to be algorithm.
func NewBatchTally(algorithm, source string) *BatchTally {
	return &BatchTally{Algorithm: algorithm, Source: source, Jobs: map[string]int{}, TooLarge: map[string]int{},
		NotCopyable: map[string]int{}, Copies: map[string]int{}}
}

// AddKind counts one object to fix of an object kind (sse-s3, unencrypted, ...).
func (t *BatchTally) AddKind(kind, class string, size int64) {
	over := 0
	if size > MaxBatchCopySize {
		over = 1
	}
	for _, k := range batchJobKinds[t.Algorithm] {
		for _, kk := range k.kinds {
			if kk == kind {
				t.add(k.op, k.filter, kind, class, 1, over)
				return
			}
		}
	}
}

// AddFilter counts n objects of a manifest filter kind (SSE-S3, SSE-KMS, DSSE-KMS, NOT-SSE) and
// storage class, over of them larger than MaxBatchCopySize, that the requirement may need to
// change; kinds the requirement does not change are ignored.
func (t *BatchTally) AddFilter(filter, class string, n, over int) {
	for _, k := range batchJobKinds[t.Algorithm] {
		if k.filter == filter {
			t.add(k.op, k.filter, k.kinds[0], class, n, over)
			return
		}
	}
}

func (t *BatchTally) add(op, filter, kind, class string, n, over int) {
	if op == OpCopy {
		t.Copies[kind] += n
		switch {
		case !BatchCopyClass(class):
			t.NotCopyable[StorageClassOf(class)] += n
			return
		case over > 0:
			t.TooLarge[kind] += over
			n -= over
		}
	}
	if n > 0 {
		t.Jobs[jobKey(op, filter, class)] += n
	}
}

// JobObjects counts the objects a job would take (-1: not known, no tally).
func (t *BatchTally) JobObjects(j BatchJob) int {
	if t == nil {
		return -1
	}
	return t.Jobs[jobKey(j.Operation, j.Filter, j.StorageClass)]
}

// left counts the objects to fix that no job takes (too large, not copyable, or copies not
// allowed).
func (t *BatchTally) left(copies bool) int {
	if t == nil {
		return 0
	}
	n := 0
	for _, m := range []map[string]int{t.TooLarge, t.NotCopyable} {
		for _, v := range m {
			n += v
		}
	}
	if !copies {
		for k, v := range t.Jobs {
			if strings.HasPrefix(k, OpCopy+" ") {
				n += v
			}
		}
	}
	return n
}

// BatchJobsFor answers the jobs that re-encrypt a bucket to algorithm in generation gen: with a
// tally, only those that have objects to take; nil means every job (nothing is known of the
// objects). copies false leaves every copy job out.
func BatchJobsFor(algorithm string, gen int, t *BatchTally, copies bool) []BatchJob {
	var out []BatchJob
	for _, k := range batchJobKinds[algorithm] {
		if k.op == OpUpdateEncryption {
			if t == nil || t.Jobs[jobKey(k.op, k.filter, "")] > 0 {
				out = append(out, BatchJob{Operation: k.op, Filter: k.filter, Generation: gen})
			}
			continue
		}
		if !copies {
			continue
		}
		for _, class := range BatchCopyClasses {
			if t == nil || t.Jobs[jobKey(k.op, k.filter, class)] > 0 {
				out = append(out, BatchJob{Operation: k.op, Filter: k.filter, StorageClass: class, MaxObjectSize: MaxBatchCopySize, Generation: gen})
			}
		}
	}
	return out
}

// CopiedKinds are the object kinds that go to copy jobs for algorithm (and so are limited to
// MaxBatchCopySize and one storage class a job).
func CopiedKinds(algorithm string) []string {
	var out []string
	for _, k := range batchJobKinds[algorithm] {
		if k.op == OpCopy {
			out = append(out, k.kinds...)
		}
	}
	return out
}

// ForeignJob is a job that carries sseguard's description for a requirement but not the shape
// sseguard creates.
type ForeignJob struct {
	ID          string
	Description string
	Why         string
}

// sortedKeys returns, in order, the keys of a map of counts whose count is positive.
func sortedKeys[N int | int64](m map[string]N) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		if v > 0 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
