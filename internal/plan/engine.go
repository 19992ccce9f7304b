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

// Inputs are what the plan knows beyond the observed state: the Batch Operations side, the
// operator's retry, the prices.
type Inputs struct {
	// Batch holds, per bucket name, what was learned for buckets that can use Batch Operations.
	Batch map[string]BatchInput
	// Now is when the plan is made, for "started 2h ago"; zero leaves the age out.
	Now time.Time
	// ObjectBudget is the run's budget in objects (max-objects); 0 means none, and then
	// AutoBatchObjects is the limit engine: auto uses.
	ObjectBudget int
	// RetryFailedBatch is the operator asking for a new generation after one whose jobs did not
	// finish cleanly (--retry-failed-batch-jobs).
	RetryFailedBatch bool
	// Prices prices the cost estimates; the zero value means DefaultPrices.
	Prices *Prices
}

func (in Inputs) prices() Prices {
	if in.Prices != nil {
		return *in.Prices
	}
	return DefaultPrices()
}

// BatchInput is what was learned for one bucket that has batch_operations.
type BatchInput struct {
	// Listed counts the objects in the bucket's scope that a listing found, up to the limit; it
	// is -1 when there was no listing.
	Listed int
	// ListedAll says the listing reached the end (Listed is the whole count).
	ListedAll bool
	// Started says a generation exists (in AWS or in the bucket's record); Generation is the
	// latest one.
	Started    bool
	Generation int
	// Jobs are the jobs of the latest generation, as found (each verified to be sseguard's).
	Jobs []BatchJob
	// Missing are jobs the record says the latest generation was to have, that no run created.
	Missing []BatchJob
	// Finished says every job of Jobs has ended (Complete, Failed, Cancelled or Expired) and none
	// is missing. The bucket was then scanned again (the check) and the state holds its counts.
	Finished bool
	// Left counts the objects to fix by the job that would take them: from the check scan after a
	// generation ended, or from the bucket's S3 Inventory before generation 0. nil: not known.
	Left *BatchTally
	// Foreign are jobs that carry sseguard's description for this requirement but not its shape.
	Foreign []ForeignJob
	// Record is the bucket's record (s3://...); RecordErr why it cannot be believed.
	Record, RecordErr string
	// Copy facts: whether a copy job would lose something. ObjectOwnership is the bucket's
	// Object Ownership setting ("" none: ACLs are enabled); Website says the bucket has a website
	// configuration; CopyFactsErr why they could not be read (then copies are not trusted).
	CopyFactsRead   bool
	ObjectOwnership string
	Website         bool
	CopyFactsErr    string
	// Err says why the Batch Operations side could not be read.
	Err string
}

// BatchConfig is how apply creates a bucket's job (from the policy's batch_operations).
type BatchConfig struct {
	RoleARN              string
	ReportBucket         string
	ReportPrefix         string
	ConfirmationRequired bool
	Priority             int32
	// Revision identifies what the policy requires of the bucket; a job is made once per revision.
	Revision string
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

// copyLoss says what a copy job would lose in this bucket, "" when nothing: a copy job writes
// every copy with one ACL (the job's, private by default: "the ACL metadata is not preserved" by a
// copy unless it names one) and one website redirect (CopyObject drops the object's own unless the
// copy names it again, https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html), so a
// bucket whose objects can carry grants (ACLs enabled) or serves redirects (a website
// configuration) is not given copy jobs.
func copyLoss(name string, in BatchInput) string {
	var why []string
	switch {
	case in.CopyFactsErr != "":
		why = append(why, fmt.Sprintf("whether its objects can carry ACL grants or website redirects could not be read (%s)", in.CopyFactsErr))
	case !in.CopyFactsRead:
		why = append(why, "whether its objects can carry ACL grants or website redirects was not read")
	default:
		if in.ObjectOwnership != "BucketOwnerEnforced" {
			own := in.ObjectOwnership
			if own == "" {
				own = "none set"
			}
			why = append(why, fmt.Sprintf("ACLs are enabled (Object Ownership %s): an object can carry ACL grants, and a copy job writes every copy with one ACL, dropping them", own))
		}
		if in.Website {
			why = append(why, "it has a website configuration: an object can carry a website redirect, and a copy job drops each object's own (it can only name one redirect for all)")
		}
	}
	if len(why) == 0 {
		return ""
	}
	return fmt.Sprintf("bucket %s gets no copy job: %s", name, strings.Join(why, "; "))
}

// withEngine says which engine runs a reencrypt-objects change, and why, for buckets whose policy
// entry names an engine or has batch_operations (for the others, Engine stays empty: local). On
// Batch Operations it lists the jobs: those of the running generation, or the ones to create,
// with their cost. It answers false when no change is left: the check after a finished generation
// found only objects no job takes and none the local engine can fix either.
func (bc *bucketPlan) withEngine(ch Change) (Change, bool) {
	if bc.b.Engine == "" && bc.b.Batch == nil {
		ch.Cost = bc.localCost(ch)
		return ch, true // no engine to choose: local, as before engines existed
	}
	engine, why := chooseEngine(bc.b, bc.observed, bc.c.in)
	if engine != EngineBatch || bc.want == nil {
		return bc.local(ch, engine, why), true
	}
	in := bc.c.in.Batch[bc.b.Name]
	ch.Engine, ch.EngineReason = engine, why
	head := []string{"engine: " + engine + " (" + why + ")"}
	bo := bc.b.Batch
	ch.Batch = &BatchConfig{RoleARN: bo.RoleARN, ReportBucket: bo.ReportBucket, ReportPrefix: bo.ReportPrefix,
		ConfirmationRequired: bo.ConfirmationRequired, Priority: bo.Priority, Revision: Revision(bc.b)}
	bc.blockBatch(ch.ID, in)
	loss := copyLoss(bc.b.Name, in)
	copies := loss == ""
	now := bc.c.in.Now
	gen := in.Generation
	alg := bc.want.Algorithm
	switch {
	case len(in.Jobs) > 0 && !in.Finished:
		ch.BatchJobs = append(append([]BatchJob(nil), in.Jobs...), in.Missing...)
		for _, j := range in.Jobs {
			head = append(head, "Batch Operations "+j.Summary(now))
		}
		head = append(head, fmt.Sprintf("no new job until every job of generation %d has ended and a check scan has run", gen))
	case len(in.Jobs) > 0:
		// Every job ended and the check scan still finds objects to fix (with none, objects()
		// makes no change): the next generation takes what is left, job by job.
		for _, j := range in.Jobs {
			head = append(head, "Batch Operations "+j.Summary(now))
		}
		next := BatchJobsFor(alg, gen+1, in.Left, copies)
		if why := bc.failedGeneration(ch.ID, in, len(next) > 0 || in.Left.left(copies) > 0); why != "" {
			head = append(head, why)
		}
		if len(next) == 0 {
			if in.Left.left(copies) == 0 {
				return ch, false
			}
			ch = bc.local(clearBatch(ch), EngineLocal, fmt.Sprintf("Batch Operations generation %d has ended and what the check scan still finds is for no job (%s): the local engine re-encrypts it object by object", gen, bc.leftText(in.Left, copies, loss)))
			return ch, true
		}
		head = append(head, fmt.Sprintf("generation %d has ended and the check scan still finds objects to fix: generation %d creates %d job(s)", gen, gen+1, len(next)))
		ch.BatchJobs = next
	case in.Started && len(in.Missing) > 0:
		// The record says generation gen was started (its start and tokens kept) but some jobs
		// were never created: they are, with the same tokens.
		ch.BatchJobs = append([]BatchJob(nil), in.Missing...)
		head = append(head, fmt.Sprintf("generation %d was started by an earlier run: its jobs are created with the tokens the record keeps", gen))
	default:
		first := 0
		if in.Started {
			first = gen + 1
		}
		ch.BatchJobs = BatchJobsFor(alg, first, in.Left, copies)
		if in.Left != nil {
			head = append(head, fmt.Sprintf("%s: jobs only for what it shows (%d objects counted)", in.Left.Source, in.Left.Scanned))
		}
		if len(ch.BatchJobs) == 0 {
			if in.Left != nil && in.Left.left(copies) == 0 {
				bc.warn(WarnBatchNothingToFix, "%s shows nothing in %s for a Batch Operations job to fix (%d objects counted): no job is created", in.Left.Source, bc.b.Name, in.Left.Scanned)
				return ch, false
			}
			reason := fmt.Sprintf("no Batch Operations job can take what bucket %s needs (%s): the local engine re-encrypts it object by object", bc.b.Name, bc.leftText(in.Left, copies, loss))
			return bc.local(clearBatch(ch), EngineLocal, reason), true
		}
	}
	head = append(head, newJobLines(ch.BatchJobs, in, now)...)
	if !copies {
		bc.warn(WarnBatchCopyNotLossless, "%s; %s: the local engine re-encrypts them object by object once no job is left, keeping each object's grants (it skips objects with grants, and says so) and redirect",
			loss, copyKindsText(alg, in.Left))
	}
	bc.warnNotCopyable(in.Left)
	ch.Cost = batchCost(ch.BatchJobs, in.Left, scannedOf(in), bc.want, bc.c.in.prices())
	ch.Details = append(head, ch.Details...)
	return ch, true
}

// blockBatch blocks the change while a job that is not sseguard's carries its description, or
// while the bucket's record of job generations cannot be read.
func (bc *bucketPlan) blockBatch(id string, in BatchInput) {
	for _, f := range in.Foreign {
		bc.blockChange(BlockBatchJobForeign, id, "Batch Operations job %s carries sseguard's description %q for bucket %s but is not the job sseguard creates (%s): sseguard does not adopt it and creates no job beside it; find out who created it and what it did (DescribeJob, its report), and cancel it if it is not yours",
			f.ID, f.Description, bc.b.Name, f.Why)
	}
	if in.RecordErr != "" {
		bc.blockChange(BlockBatchRecordInvalid, id, "%s; sseguard creates no job for bucket %s until it is fixed, or removed if sseguard did not write it (it is sseguard's memory of the bucket's job generations: without it the next run starts generation 0 again)",
			in.RecordErr, bc.b.Name)
	}
}

// newJobLines are the detail lines of the jobs the change creates (with how many objects each
// takes, when counted), and what copies keep and drop when a job copies.
func newJobLines(jobs []BatchJob, in BatchInput, now time.Time) []string {
	var lines []string
	hasCopies := false
	for _, j := range jobs {
		if j.ID == "" {
			line := "Batch Operations " + j.Summary(now)
			if n := in.Left.JobObjects(j); n >= 0 {
				line += fmt.Sprintf(": %d objects", n)
			}
			lines = append(lines, line)
		}
		hasCopies = hasCopies || j.Operation == OpCopy
	}
	if hasCopies {
		lines = append(lines, fmt.Sprintf("copies keep metadata (MetadataDirective COPY), tags (NewObjectTagging left out: the source's are copied) and each object's storage class (one job per class); objects over %s and in archive classes are left out and counted: the local engine re-encrypts them once the jobs have ended", sizeText(MaxBatchCopySize)))
		lines = append(lines, "a copy drops any website redirect an object carries: this bucket has no website configuration, so none is served from it")
	}
	return lines
}

// local makes ch a local re-encryption on engine for the reason why, with its cost.
func (bc *bucketPlan) local(ch Change, engine, why string) Change {
	ch.Engine, ch.EngineReason = engine, why
	ch.Details = append([]string{"engine: " + engine + " (" + why + ")"}, ch.Details...)
	ch.Cost = bc.localCost(ch)
	return ch
}

func clearBatch(ch Change) Change {
	ch.Batch, ch.BatchJobs = nil, nil
	return ch
}

// localCost is the local engine's estimate when the objects were counted.
func (bc *bucketPlan) localCost(ch Change) *Cost {
	o := bc.observed.Objects
	if o == nil || o.TotalToFix() == 0 {
		return nil
	}
	return localCost(o, bc.want, bc.c.in.prices())
}

func scannedOf(in BatchInput) int {
	switch {
	case in.Left != nil:
		return in.Left.Scanned
	case in.Listed >= 0 && in.ListedAll:
		return in.Listed
	}
	return 0
}

// leftText says what no job takes.
func (bc *bucketPlan) leftText(t *BatchTally, copies bool, loss string) string {
	var parts []string
	if t != nil {
		if n := countsText(t.TooLarge); n != "" {
			parts = append(parts, n+" over "+sizeText(MaxBatchCopySize))
		}
		if n := countsText(t.NotCopyable); n != "" {
			parts = append(parts, n+" in storage classes no copy job takes")
		}
	}
	if !copies {
		parts = append(parts, loss)
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}

// copyKindsText counts what would go to copy jobs, by kind.
func copyKindsText(alg string, t *BatchTally) string {
	if t == nil {
		return "objects of kinds " + strings.Join(CopiedKinds(alg), ", ") + " (not counted) need a copy"
	}
	n := 0
	for k, v := range t.Jobs {
		if strings.HasPrefix(k, OpCopy+" ") {
			n += v
		}
	}
	return fmt.Sprintf("%d objects need a copy (%s)", n, countsText(t.Copies))
}

// warnNotCopyable warns about objects no copy job takes because of their storage class.
func (bc *bucketPlan) warnNotCopyable(t *BatchTally) {
	if t == nil || len(sortedKeys(t.NotCopyable)) == 0 {
		return
	}
	bc.warn(WarnBatchNotCopyable, "%s objects in %s need a copy but are in storage classes no Batch Operations copy job takes (%s): archived objects must be restored before any copy; no job takes them, the local engine handles them once the jobs have ended (it skips archives not restored, and says so)",
		fmt.Sprint(sumOf(t.NotCopyable)), bc.b.Name, countsText(t.NotCopyable))
}

func sumOf(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// failedGeneration blocks the change when the generation that ended did not finish cleanly and
// objects are still left (stop: a new generation would be paid again, likely to fail again), unless
// the operator asked for a retry. It answers a detail line when it lets the change through.
func (bc *bucketPlan) failedGeneration(changeID string, in BatchInput, more bool) string {
	var bad []BatchJob
	for _, j := range in.Jobs {
		if j.DidNotFinishCleanly() != "" {
			bad = append(bad, j)
		}
	}
	if len(bad) == 0 || !more {
		return ""
	}
	gen := in.Generation
	if bc.c.in.RetryFailedBatch {
		return fmt.Sprintf("generation %d did not finish cleanly (%d job(s)); a retry was asked for: the next generation is created", gen, len(bad))
	}
	var parts []string
	for _, j := range bad {
		s := fmt.Sprintf("job %s (%s): %s", j.ID, j.What(), j.DidNotFinishCleanly())
		if len(j.FailureReasons) > 0 {
			s += "; job-level reasons: " + strings.Join(j.FailureReasons, "; ")
		}
		var tasks []string
		for _, t := range j.FailedTasks {
			e := strings.TrimSpace(t.ErrorCode + " " + t.HTTPStatus)
			if t.Message != "" {
				e += ": " + t.Message
			}
			tasks = append(tasks, fmt.Sprintf("%q (%s)", t.Key, e))
		}
		if len(tasks) > 0 {
			s += "; failed tasks, e.g. " + strings.Join(tasks, ", ")
		}
		if j.Report != "" {
			s += "; completion report " + j.Report
		}
		if j.ReportNote != "" {
			s += " (" + j.ReportNote + ")"
		}
		parts = append(parts, s)
	}
	bc.blockChange(BlockBatchJobsFailed, changeID, "Batch Operations generation %d of bucket %s did not finish cleanly and the check scan still finds objects to fix: %s. sseguard creates no new generation (each is paid again) until the requirement changes or a run asks for a retry (sseguard apply --retry-failed-batch-jobs, or the action input retry-failed-batch-jobs: true)",
		gen, bc.b.Name, strings.Join(parts, " | "))
	return ""
}

// blockChange stops one change of the bucket (the bucket's other changes go on).
func (bc *bucketPlan) blockChange(code, changeID, format string, args ...any) {
	bc.blockers = append(bc.blockers, Blocker{Code: code, Change: changeID, Bucket: bc.b.Name, Region: bc.region,
		Line: bc.b.Pos.Line, Message: fmt.Sprintf(format, args...)})
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
	case known && (len(bi.Jobs) > 0 || bi.Started):
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
