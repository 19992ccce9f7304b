package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// The engines a reencrypt-objects change can run on.
const (
	// EngineLocal re-encrypts from this run, object by object.
	EngineLocal = "local"
	// EngineBatch hands the objects to an S3 Batch Operations job.
	EngineBatch = "batch-operations"
)

// AutoBatchObjects is how many objects engine: auto re-encrypts locally at most when the run has
// no object budget: past it, a bucket with batch_operations is handed to Batch Operations. At the
// local path's usual rate (a few hundred objects a second, a HEAD and a write each) it is several
// minutes of a runner's time; Batch Operations takes up to 20 billion objects in one job.
const AutoBatchObjects = 100_000

// Inputs are what the plan knows beyond the observed state: the Batch Operations side.
type Inputs struct {
	// Batch holds, per bucket name, what was learned for buckets that can use Batch Operations.
	Batch map[string]BatchInput
	// Now is when the plan is made, for "started 2h ago"; zero leaves the age out.
	Now time.Time
	// ObjectBudget is the run's budget in objects (max-objects); 0 means none, and then
	// AutoBatchObjects is the limit engine: auto uses.
	ObjectBudget int
}

// BatchInput is what was learned for one bucket that has batch_operations.
type BatchInput struct {
	// Listed counts the objects in the bucket's scope that a listing found, up to the limit; it
	// is -1 when there was no listing.
	Listed int
	// ListedAll says the listing reached the end (Listed is the whole count).
	ListedAll bool
	// Jobs are the jobs of the requirement's latest generation, as found (none: no job exists).
	Jobs []BatchJob
	// Finished says every job of Jobs has ended (Complete, Failed or Cancelled). The bucket was
	// then scanned again (the check) and the state holds its counts.
	Finished bool
	// TooLarge counts, by object kind, the objects the check found to fix that a copy job cannot
	// take (over MaxBatchCopySize).
	TooLarge map[string]int
	// Err says why the Batch Operations side could not be read.
	Err string
}

// The Batch Operations operations sseguard's jobs run.
const (
	// OpUpdateEncryption re-wraps an object's data key in place. In Batch Operations it "supports
	// the SSE-KMS encryption type" only, and it does not support unencrypted objects, nor objects
	// under DSSE-KMS or SSE-C (note in "Updating server-side encryption for existing data",
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/update-sse-encryption.html;
	// "ObjectEncryption", https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_ObjectEncryption.html).
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

// BatchJob is one S3 Batch Operations job of a requirement: planned (ID empty) or as a run
// found or created it. Each job has one operation and one encryption filter, because a
// manifest generator's MatchAnyObjectEncryption holds exactly one entry ("Array Members: Fixed
// number of 1 item", JobManifestGeneratorFilter,
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobManifestGeneratorFilter.html).
type BatchJob struct {
	// Operation is OpUpdateEncryption or OpCopy.
	Operation string `json:"operation"`
	// Filter is the MatchAnyObjectEncryption kind: SSE-S3, SSE-KMS, DSSE-KMS or NOT-SSE.
	Filter string `json:"filter"`
	// MaxObjectSize, when set, limits the job to objects of at most this size (copy jobs).
	MaxObjectSize int64 `json:"max_object_size,omitempty"`
	// Generation counts the requirement's job rounds: 0 first; a new round starts only when
	// every job of the last one has ended and a check scan still finds objects to fix.
	Generation int       `json:"generation"`
	ID         string    `json:"id,omitempty"`
	Status     string    `json:"status,omitempty"`
	Created    time.Time `json:"created,omitempty"`
	Total      int64     `json:"total_tasks"`
	Succeeded  int64     `json:"tasks_succeeded"`
	Failed     int64     `json:"tasks_failed"`
	// AwaitingConfirmation is true while the job waits for someone to confirm it.
	AwaitingConfirmation bool `json:"awaiting_confirmation,omitempty"`
	// ConfirmCommand confirms the job (set while it awaits confirmation).
	ConfirmCommand string   `json:"confirm_command,omitempty"`
	FailureReasons []string `json:"failure_reasons,omitempty"`
	// New is true when this run created the job.
	New bool `json:"created_by_this_run,omitempty"`
}

// What names the job's work, e.g. "S3PutObjectCopy of NOT-SSE objects up to 5 GiB".
func (j *BatchJob) What() string {
	s := j.Operation + " of " + j.Filter + " objects"
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
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-job-status.html).
func (j *BatchJob) Ended() bool {
	switch j.Status {
	case "Complete", "Failed", "Cancelled":
		return true
	}
	return false
}

// Summary describes the job in one line, e.g. "job 1a2b (S3UpdateObjectEncryption of SSE-S3
// objects, generation 0): Active, 48 of 100 tasks succeeded, 2 failed, started 2h ago", or the
// job to create.
func (j *BatchJob) Summary(now time.Time) string {
	if j.ID == "" {
		return fmt.Sprintf("new job (%s, generation %d)", j.What(), j.Generation)
	}
	s := fmt.Sprintf("job %s (%s, generation %d): %s", j.ID, j.What(), j.Generation, j.Status)
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

// BatchJobsFor answers the jobs that re-encrypt a bucket to algorithm, in generation gen. With
// toFix (a check scan's counts by object kind, less the objects too large to copy), only the
// jobs that have objects to fix; nil means every job (nothing is known of the objects).
func BatchJobsFor(algorithm string, gen int, toFix map[string]int) []BatchJob {
	var out []BatchJob
	for _, k := range batchJobKinds[algorithm] {
		if toFix != nil {
			n := 0
			for _, kind := range k.kinds {
				n += toFix[kind]
			}
			if n == 0 {
				continue
			}
		}
		j := BatchJob{Operation: k.op, Filter: k.filter, Generation: gen}
		if k.op == OpCopy {
			j.MaxObjectSize = MaxBatchCopySize
		}
		out = append(out, j)
	}
	return out
}

// CopiedKinds are the object kinds that go to copy jobs for algorithm (and so are limited to
// MaxBatchCopySize).
func CopiedKinds(algorithm string) []string {
	var out []string
	for _, k := range batchJobKinds[algorithm] {
		if k.op == OpCopy {
			out = append(out, k.kinds...)
		}
	}
	return out
}

// BatchConfig is how apply creates a bucket's job (from the policy's batch_operations).
type BatchConfig struct {
	RoleARN              string `json:"role_arn"`
	ReportBucket         string `json:"report_bucket"`
	ReportPrefix         string `json:"report_prefix,omitempty"`
	ConfirmationRequired bool   `json:"confirmation_required"`
	Priority             int32  `json:"priority"`
	// Revision identifies what the policy requires of the bucket; a job is made once per revision.
	Revision string `json:"revision"`
}

// Revision identifies what a bucket's policy entry requires of its objects: the same requirement
// gives the same revision, so a re-run finds the job an earlier run created.
func Revision(b policy.Bucket) string {
	h := sha256.Sum256([]byte(strings.Join([]string{string(b.Encryption), b.KMSKey, fmt.Sprint(b.BucketKey), strings.Join(b.Prefixes, "\x00")}, "\x01")))
	return hex.EncodeToString(h[:])[:12]
}

// ComputeWith is Compute with what was learned about Batch Operations.
func ComputeWith(pol *policy.Policy, st *state.State, in Inputs) *Plan {
	return compute(pol, st, in)
}

// withEngine says which engine runs a reencrypt-objects change, and why, for buckets whose policy
// entry names an engine or has batch_operations (for the others, Engine stays empty: local). On
// Batch Operations it lists the jobs: those of the running generation, or the ones to create. It
// answers false when no change is left: the check after a finished generation found only
// objects no job can take (warned in objects).
func (bc *bucketPlan) withEngine(ch Change) (Change, bool) {
	if bc.b.Engine == "" && bc.b.Batch == nil {
		return ch, true // no engine to choose: local, as before engines existed
	}
	engine, why := chooseEngine(bc.b, bc.observed, bc.c.in)
	ch.Engine, ch.EngineReason = engine, why
	head := []string{"engine: " + engine + " (" + why + ")"}
	if engine != EngineBatch || bc.want == nil {
		ch.Details = append(head, ch.Details...)
		return ch, true
	}
	bo := bc.b.Batch
	ch.Batch = &BatchConfig{RoleARN: bo.RoleARN, ReportBucket: bo.ReportBucket, ReportPrefix: bo.ReportPrefix,
		ConfirmationRequired: bo.ConfirmationRequired, Priority: bo.Priority, Revision: Revision(bc.b)}
	in := bc.c.in.Batch[bc.b.Name]
	now := bc.c.in.Now
	gen := 0
	if len(in.Jobs) > 0 {
		gen = in.Jobs[0].Generation
	}
	switch {
	case len(in.Jobs) > 0 && !in.Finished:
		ch.BatchJobs = append([]BatchJob(nil), in.Jobs...)
		for _, j := range in.Jobs {
			head = append(head, "Batch Operations "+j.Summary(now))
		}
		head = append(head, fmt.Sprintf("no new job until every job of generation %d has ended and a check scan has run", gen))
	case len(in.Jobs) > 0:
		// Every job ended and the check scan still finds objects to fix (with none, objects()
		// makes no change): the next generation takes what is left, kind by kind.
		for _, j := range in.Jobs {
			head = append(head, "Batch Operations "+j.Summary(now))
		}
		o := bc.observed.Objects
		toFix := map[string]int{}
		if o != nil {
			for k, v := range o.ToFix {
				toFix[k] = v - in.TooLarge[k]
			}
		}
		next := BatchJobsFor(bc.want.Algorithm, gen+1, toFix)
		if len(next) == 0 {
			return ch, false
		}
		head = append(head, fmt.Sprintf("generation %d has ended and the check scan still finds objects to fix: generation %d creates %d job(s)", gen, gen+1, len(next)))
		ch.BatchJobs = next
	default:
		ch.BatchJobs = BatchJobsFor(bc.want.Algorithm, 0, nil)
	}
	copies := false
	for _, j := range ch.BatchJobs {
		if j.ID == "" {
			head = append(head, "Batch Operations "+j.Summary(now))
		}
		copies = copies || j.Operation == OpCopy
	}
	if copies {
		head = append(head, fmt.Sprintf("objects over %s are left out of copy jobs (the limit of S3PutObjectCopy): the check scan after the jobs end counts them, for the local engine", sizeText(MaxBatchCopySize)))
	}
	ch.Details = append(head, ch.Details...)
	return ch, true
}

// chooseEngine decides the engine of a bucket's re-encryption. It is deliberately simple: auto
// uses Batch Operations only when the bucket has batch_operations and the objects in scope are
// more than the run may handle (its object budget, or AutoBatchObjects), as counted by this
// plan's scan or, when apply defers the scan, by a listing of the bucket.
func chooseEngine(b policy.Bucket, ob *state.Bucket, in Inputs) (string, string) {
	switch b.EngineOrAuto() {
	case policy.EngineLocal:
		return EngineLocal, "engine: local in the policy"
	case policy.EngineBatch:
		return EngineBatch, "engine: batch-operations in the policy"
	}
	if b.Batch == nil {
		return EngineLocal, "engine: auto, and the bucket has no batch_operations to hand the work to"
	}
	limit, what := in.ObjectBudget, "this run's object budget"
	if limit <= 0 {
		limit, what = AutoBatchObjects, "the local limit"
	}
	bi, known := in.Batch[b.Name]
	switch {
	case known && len(bi.Jobs) > 0:
		return EngineBatch, "engine: auto, and a Batch Operations job for this requirement already exists"
	case ob != nil && ob.Objects != nil && ob.Objects.Remaining > 0:
		return EngineBatch, fmt.Sprintf("engine: auto, and the scan stopped at %s with %d objects left", what, ob.Objects.Remaining)
	case ob != nil && ob.Objects != nil && ob.Objects.Scanned > limit:
		return EngineBatch, fmt.Sprintf("engine: auto, and %d objects are more than %s (%d)", ob.Objects.Scanned, what, limit)
	case ob != nil && ob.Objects != nil:
		return EngineLocal, fmt.Sprintf("engine: auto, and %d objects fit %s (%d)", ob.Objects.Scanned, what, limit)
	case known && bi.Listed >= 0 && !bi.ListedAll:
		return EngineBatch, fmt.Sprintf("engine: auto, and the listing found more than %d objects (%s)", limit, what)
	case known && bi.Listed >= 0:
		return EngineLocal, fmt.Sprintf("engine: auto, and the listing found %d objects, within %s (%d)", bi.Listed, what, limit)
	}
	return EngineLocal, "engine: auto, and the bucket's size is not known"
}
