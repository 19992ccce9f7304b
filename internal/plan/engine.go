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
	// Job is the bucket's job for the current policy revision, when one exists.
	Job *BatchJob
	// Err says why the Batch Operations side could not be read.
	Err string
}

// BatchJob is an S3 Batch Operations job as a run sees it.
type BatchJob struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Created   time.Time `json:"created,omitempty"`
	Total     int64     `json:"total_tasks"`
	Succeeded int64     `json:"tasks_succeeded"`
	Failed    int64     `json:"tasks_failed"`
	// AwaitingConfirmation is true while the job waits for someone to confirm it.
	AwaitingConfirmation bool `json:"awaiting_confirmation,omitempty"`
	// ConfirmCommand confirms the job (set while it awaits confirmation).
	ConfirmCommand string   `json:"confirm_command,omitempty"`
	FailureReasons []string `json:"failure_reasons,omitempty"`
	// Created is true when this run created the job.
	New bool `json:"created_by_this_run,omitempty"`
}

// Summary describes the job in one line, e.g. "job 1a2b: Active, 48 of 100 tasks succeeded, 2
// failed, started 2h ago".
func (j *BatchJob) Summary(now time.Time) string {
	s := fmt.Sprintf("job %s: %s", j.ID, j.Status)
	if j.Total > 0 {
		s += fmt.Sprintf(", %d of %d tasks succeeded, %d failed", j.Succeeded, j.Total, j.Failed)
	}
	if !j.Created.IsZero() && !now.IsZero() && now.After(j.Created) {
		s += ", started " + now.Sub(j.Created).Truncate(time.Second).String() + " ago"
	}
	if j.AwaitingConfirmation {
		s += "; awaiting confirmation: " + j.ConfirmCommand
	}
	return s
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
// entry names an engine or has batch_operations (for the others, Engine stays empty: local).
func (bc *bucketPlan) withEngine(ch Change) Change {
	if bc.b.Engine == "" && bc.b.Batch == nil {
		return ch // no engine to choose: local, as before engines existed
	}
	engine, why := chooseEngine(bc.b, bc.observed, bc.c.in)
	ch.Engine, ch.EngineReason = engine, why
	ch.Details = append([]string{"engine: " + engine + " (" + why + ")"}, ch.Details...)
	if engine != EngineBatch {
		return ch
	}
	bo := bc.b.Batch
	ch.Batch = &BatchConfig{RoleARN: bo.RoleARN, ReportBucket: bo.ReportBucket, ReportPrefix: bo.ReportPrefix,
		ConfirmationRequired: bo.ConfirmationRequired, Priority: bo.Priority, Revision: Revision(bc.b)}
	if in, ok := bc.c.in.Batch[bc.b.Name]; ok && in.Job != nil {
		j := *in.Job
		ch.BatchJob = &j
		ch.Details = append([]string{ch.Details[0], "Batch Operations " + j.Summary(bc.c.in.Now)}, ch.Details[1:]...)
	}
	return ch
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
	case known && bi.Job != nil:
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
