package plan

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

func TestEngineChoice(t *testing.T) {
	t.Parallel()
	batch := &policy.BatchOperations{RoleARN: "arn:aws:iam::111122223333:role/batch", ReportBucket: "reports", ConfirmationRequired: true, Priority: 10}
	scanned := func(n, remaining int) *state.ObjectCounts {
		return &state.ObjectCounts{Scanned: n, Remaining: remaining, ToFix: map[string]int{"sse-s3": n}}
	}
	job := BatchJob{Operation: OpCopy, Filter: "NOT-SSE", ID: "j1", Status: "Active", Total: 10, Succeeded: 4}
	cases := map[string]struct {
		engine   policy.Engine
		batch    *policy.BatchOperations
		objects  *state.ObjectCounts
		deferred bool
		in       Inputs
		want     string
		why      string
	}{
		"local in policy":           {policy.EngineLocal, nil, scanned(10, 0), false, Inputs{}, EngineLocal, "engine: local"},
		"batch in policy":           {policy.EngineBatch, batch, scanned(10, 0), false, Inputs{}, EngineBatch, "engine: batch-operations"},
		"auto without config":       {policy.EngineAuto, nil, scanned(AutoBatchObjects+1, 0), false, Inputs{}, EngineLocal, "no batch_operations"},
		"auto small scan":           {"", batch, scanned(10, 0), false, Inputs{}, EngineLocal, "10 objects fit the local limit"},
		"auto large scan":           {"", batch, scanned(AutoBatchObjects+1, 0), false, Inputs{}, EngineBatch, "more than the local limit"},
		"auto scan over budget":     {"", batch, scanned(5, 7), false, Inputs{ObjectBudget: 5}, EngineBatch, "stopped at this run's object budget with 7 objects left"},
		"auto deferred, long list":  {"", batch, nil, true, Inputs{ObjectBudget: 50, Batch: map[string]BatchInput{"media": {Listed: 51}}}, EngineBatch, "more than 50 objects"},
		"auto deferred, short list": {"", batch, nil, true, Inputs{Batch: map[string]BatchInput{"media": {Listed: 3, ListedAll: true}}}, EngineLocal, "found 3 objects"},
		"auto deferred, job exists": {"", batch, nil, true, Inputs{Batch: map[string]BatchInput{"media": {Listed: 3, ListedAll: true, Jobs: []BatchJob{job}}}}, EngineBatch, "already exists"},
		"auto deferred, unknown":    {"", batch, nil, true, Inputs{}, EngineLocal, "not known"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := policy.Bucket{Name: "media", Encryption: policy.SSES3, ExistingObjects: policy.ObjectsReencrypt, Engine: tc.engine, Batch: tc.batch, Pos: policy.Pos{Line: 3, Column: 5}}
			ob := existing("media", "us-east-1", &state.Rule{Algorithm: "AES256"})
			ob.Objects, ob.ObjectsDeferred = tc.objects, tc.deferred
			in := tc.in
			bi, known := in.Batch["media"]
			if !known {
				bi.Listed = -1
			}
			in.Batch = map[string]BatchInput{"media": copyFine(bi)}
			p := ComputeWith(&policy.Policy{Buckets: []policy.Bucket{b}}, newState(map[string]*state.Bucket{"media": ob}, nil), in)
			ch, ok := p.Change("reencrypt-objects/media")
			if !ok {
				t.Fatalf("no reencrypt change: %+v", view(p))
			}
			if ch.Details[0] != "engine: "+ch.Engine+" ("+ch.EngineReason+")" {
				t.Errorf("first detail %q does not say the engine", ch.Details[0])
			}
			if ch.Engine != tc.want || !strings.Contains(ch.EngineReason, tc.why) {
				t.Errorf("engine %q (%s), want %q with %q", ch.Engine, ch.EngineReason, tc.want, tc.why)
			}
			if (ch.Batch != nil) != (tc.want == EngineBatch) {
				t.Errorf("batch config %+v for engine %s", ch.Batch, ch.Engine)
			}
			if ch.Batch != nil && (ch.Batch.RoleARN != batch.RoleARN || ch.Batch.Revision != Revision(b)) {
				t.Errorf("batch config %+v", ch.Batch)
			}
			if name == "auto deferred, job exists" && (len(ch.BatchJobs) != 1 || ch.BatchJobs[0].ID != "j1") {
				t.Errorf("existing job not in the change: %+v", ch.BatchJobs)
			}
		})
	}
}

func TestNoEngineWithoutEngineFields(t *testing.T) {
	t.Parallel()
	b := policy.Bucket{Name: "media", Encryption: policy.SSES3, ExistingObjects: policy.ObjectsReencrypt}
	ob := existing("media", "us-east-1", &state.Rule{Algorithm: "AES256"})
	ob.ObjectsDeferred = true
	p := Compute(&policy.Policy{Buckets: []policy.Bucket{b}}, newState(map[string]*state.Bucket{"media": ob}, nil))
	ch, ok := p.Change("reencrypt-objects/media")
	if !ok || ch.Engine != "" || ch.Batch != nil || len(ch.Details) != 0 {
		t.Errorf("a bucket without engine fields got %+v", ch)
	}
}

func TestRevisionFollowsTheRequirement(t *testing.T) {
	t.Parallel()
	a := policy.Bucket{Name: "m", Encryption: policy.SSEKMS, KMSKey: "alias/a", BucketKey: true}
	b := a
	b.RequireTLS = true
	if Revision(a) != Revision(b) {
		t.Error("a change unrelated to objects changed the revision")
	}
	b.KMSKey = "alias/b"
	if Revision(a) == Revision(b) {
		t.Error("a new key kept the revision")
	}
}

func TestBatchJobSummary(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		job  BatchJob
		want string
	}{
		"awaiting confirmation": {
			BatchJob{Operation: OpUpdateEncryption, Filter: "SSE-S3", ID: "j1", Status: "Suspended", Total: 100, Created: now.Add(-90 * time.Minute), AwaitingConfirmation: true, ConfirmCommand: "aws s3control update-job-status ..."},
			"job j1 (S3UpdateObjectEncryption of SSE-S3 objects, generation 0): Suspended, 0 of 100 tasks succeeded, 0 failed, started 1h30m0s ago; awaiting confirmation: aws s3control update-job-status ...",
		},
		"failed": {
			BatchJob{Operation: OpCopy, Filter: "NOT-SSE", MaxObjectSize: MaxBatchCopySize, Generation: 2, ID: "j2", Status: "Failed", FailureReasons: []string{"AccessDenied role cannot read the manifest"}},
			"job j2 (S3PutObjectCopy of NOT-SSE objects up to 5 GiB, generation 2): Failed; failure reasons: AccessDenied role cannot read the manifest",
		},
		"to create": {
			BatchJob{Operation: OpCopy, Filter: "DSSE-KMS", MaxObjectSize: MaxBatchCopySize, Generation: 1},
			"new job (S3PutObjectCopy of DSSE-KMS objects up to 5 GiB, generation 1)",
		},
	}
	for name, tc := range cases {
		if got := tc.job.Summary(now); got != tc.want {
			t.Errorf("%s: Summary:\n got %s\nwant %s", name, got, tc.want)
		}
	}
}

// copyFine are copy facts under which a copy job loses nothing.
func copyFine(in BatchInput) BatchInput {
	in.CopyFactsRead, in.ObjectOwnership = true, "BucketOwnerEnforced"
	return in
}

// tally builds a check scan's (or an inventory's) tally from kind/class counts, sizes below the
// copy limit unless the class is "large".
func tally(alg string, objects map[string]int) *BatchTally {
	t := NewBatchTally(alg, "the check scan")
	for k, n := range objects {
		kind, class, _ := strings.Cut(k, " ")
		size := int64(1)
		if class == "large" {
			class, size = "STANDARD", MaxBatchCopySize+1
		}
		for i := 0; i < n; i++ {
			t.AddKind(kind, class, size)
		}
		t.Scanned += n
	}
	return t
}

func TestBatchJobsByGeneration(t *testing.T) {
	t.Parallel()
	batch := &policy.BatchOperations{RoleARN: "arn:aws:iam::111122223333:role/batch", ReportBucket: "reports", ConfirmationRequired: true, Priority: 10}
	ended := func(gen int, ids ...string) []BatchJob {
		var out []BatchJob
		for _, id := range ids {
			out = append(out, BatchJob{Operation: OpUpdateEncryption, Filter: "SSE-S3", Generation: gen, ID: id, Status: "Complete", Total: 3, Succeeded: 3})
		}
		return out
	}
	classes := func(prefix string, gen int) []string {
		var out []string
		for _, c := range BatchCopyClasses {
			out = append(out, fmt.Sprintf("%s %s %d ", prefix, c, gen))
		}
		return out
	}
	cases := map[string]struct {
		enc      policy.Encryption
		objects  *state.ObjectCounts
		in       BatchInput
		retry    bool
		want     []string // nil: no reencrypt change on batch-operations
		engine   string   // when not batch-operations
		warnings []string
		blockers []string
	}{
		"sse-kms, nothing known: updates, and a copy per kind and storage class": {
			enc: policy.SSEKMS, in: copyFine(BatchInput{Listed: -1}),
			want: append(append([]string{"S3UpdateObjectEncryption SSE-S3 0 ", "S3UpdateObjectEncryption SSE-KMS 0 "},
				classes("S3PutObjectCopy NOT-SSE", 0)...), classes("S3PutObjectCopy DSSE-KMS", 0)...),
		},
		"sse-kms, an inventory shows SSE-S3 and unencrypted STANDARD_IA objects: their jobs only": {
			enc: policy.SSEKMS, in: copyFine(BatchInput{Listed: -1, Left: func() *BatchTally {
				t := NewBatchTally(AlgKMS, "S3 Inventory daily created today")
				t.AddFilter("SSE-S3", "STANDARD", 5, 0)
				t.AddFilter("NOT-SSE", "STANDARD_IA", 2, 0)
				t.AddFilter("NOT-SSE", "GLACIER", 1, 0)
				return t
			}()}),
			want:     []string{"S3UpdateObjectEncryption SSE-S3 0 ", "S3PutObjectCopy NOT-SSE STANDARD_IA 0 "},
			warnings: []string{WarnBatchNotCopyable},
		},
		"sse-s3, ACLs enabled: no copy job, the local engine": {
			enc: policy.SSES3, in: BatchInput{Listed: -1, CopyFactsRead: true, ObjectOwnership: "ObjectWriter"},
			engine: EngineLocal,
		},
		"sse-kms, website configuration: updates only, copies left to the local engine": {
			enc: policy.SSEKMS, in: BatchInput{Listed: -1, CopyFactsRead: true, ObjectOwnership: "BucketOwnerEnforced", Website: true},
			want:     []string{"S3UpdateObjectEncryption SSE-S3 0 ", "S3UpdateObjectEncryption SSE-KMS 0 "},
			warnings: []string{WarnBatchCopyNotLossless},
		},
		"running generation: followed, nothing new": {
			enc: policy.SSEKMS, in: copyFine(BatchInput{Listed: -1, Started: true, Generation: 1, Jobs: []BatchJob{{Operation: OpUpdateEncryption, Filter: "SSE-S3", Generation: 1, ID: "j5", Status: "Active"}}}),
			want: []string{"S3UpdateObjectEncryption SSE-S3 1 j5"},
		},
		"a generation started by a run whose jobs were not all created: the rest, same generation": {
			enc: policy.SSEKMS, in: copyFine(BatchInput{Listed: -1, Started: true, Generation: 2, Missing: []BatchJob{{Operation: OpUpdateEncryption, Filter: "SSE-S3", Generation: 2}}}),
			want: []string{"S3UpdateObjectEncryption SSE-S3 2 "},
		},
		"ended, check finds nothing: in sync": {
			enc: policy.SSEKMS, objects: &state.ObjectCounts{Scanned: 6, Compliant: 6},
			in: copyFine(BatchInput{Listed: -1, Started: true, Jobs: ended(0, "j1", "j2"), Finished: true, Left: tally(AlgKMS, nil)}), warnings: []string{WarnBatchChecked},
		},
		"ended, check finds unencrypted objects: next generation copies them in their class": {
			enc: policy.SSEKMS, objects: &state.ObjectCounts{Scanned: 6, Compliant: 4, ToFix: map[string]int{"unencrypted": 2}},
			in:   copyFine(BatchInput{Listed: -1, Started: true, Jobs: ended(0, "j1"), Finished: true, Left: tally(AlgKMS, map[string]int{"unencrypted ONEZONE_IA": 2})}),
			want: []string{"S3PutObjectCopy NOT-SSE ONEZONE_IA 1 "},
		},
		"ended, only objects too large are left: the local engine": {
			enc: policy.SSEKMS, objects: &state.ObjectCounts{Scanned: 6, Compliant: 5, ToFix: map[string]int{"unencrypted": 1}},
			in:       copyFine(BatchInput{Listed: -1, Started: true, Generation: 3, Jobs: ended(3, "j1"), Finished: true, Left: tally(AlgKMS, map[string]int{"unencrypted large": 1})}),
			engine:   EngineLocal,
			warnings: []string{WarnBatchTooLarge},
		},
		"ended, check stopped at the budget: not in sync": {
			enc: policy.SSEKMS, objects: &state.ObjectCounts{Scanned: 3, Compliant: 3, Remaining: 3},
			in: copyFine(BatchInput{Listed: -1, Started: true, Jobs: ended(0, "j1"), Finished: true, Left: tally(AlgKMS, nil)}), warnings: []string{WarnBatchChecked},
		},
		"ended with failed tasks, objects left: stopped": {
			enc: policy.SSEKMS, objects: &state.ObjectCounts{Scanned: 6, Compliant: 4, ToFix: map[string]int{"sse-s3": 2}},
			in: copyFine(BatchInput{Listed: -1, Started: true, Finished: true, Left: tally(AlgKMS, map[string]int{"sse-s3 STANDARD": 2}),
				Jobs: []BatchJob{{Operation: OpUpdateEncryption, Filter: "SSE-S3", ID: "j1", Status: "Complete", Total: 6, Succeeded: 4, Failed: 2,
					Report: "s3://reports/media/job-j1/manifest.json", FailedTasks: []FailedTask{{Key: "a.mov", ErrorCode: "AccessDenied", HTTPStatus: "403"}}}}}),
			blockers: []string{BlockBatchJobsFailed},
		},
		"ended with failed tasks, objects left, retry asked: next generation": {
			enc: policy.SSEKMS, objects: &state.ObjectCounts{Scanned: 6, Compliant: 4, ToFix: map[string]int{"sse-s3": 2}}, retry: true,
			in: copyFine(BatchInput{Listed: -1, Started: true, Finished: true, Left: tally(AlgKMS, map[string]int{"sse-s3 STANDARD": 2}),
				Jobs: []BatchJob{{Operation: OpUpdateEncryption, Filter: "SSE-S3", ID: "j1", Status: "Complete", Total: 6, Succeeded: 4, Failed: 2}}}),
			want: []string{"S3UpdateObjectEncryption SSE-S3 1 "},
		},
		"ended Failed (expired, from the record), nothing left: in sync": {
			enc: policy.SSEKMS, objects: &state.ObjectCounts{Scanned: 6, Compliant: 6},
			in: copyFine(BatchInput{Listed: -1, Started: true, Finished: true, Left: tally(AlgKMS, nil),
				Jobs: []BatchJob{{Operation: OpUpdateEncryption, Filter: "SSE-S3", ID: "j1", Status: StatusExpired, EndedAs: "Failed"}}}),
			warnings: []string{WarnBatchChecked},
		},
		"a forged job: blocked": {
			enc: policy.SSEKMS, in: copyFine(BatchInput{Listed: -1, Foreign: []ForeignJob{{ID: "evil", Description: "sseguard x", Why: "copies into another bucket"}}}),
			blockers: []string{BlockBatchJobForeign},
		},
		"a record that cannot be believed: blocked": {
			enc: policy.SSEKMS, in: copyFine(BatchInput{Listed: -1, RecordErr: "the record s3://r/k cannot be believed: token"}),
			blockers: []string{BlockBatchRecordInvalid},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := policy.Bucket{Name: "media", Encryption: tc.enc, ExistingObjects: policy.ObjectsReencrypt, Engine: policy.EngineBatch, Batch: batch, BucketKey: true, Pos: policy.Pos{Line: 3, Column: 5}}
			rule := &state.Rule{Algorithm: "AES256"}
			keys := map[state.KeyRef]*state.Key(nil)
			if tc.enc == policy.SSEKMS {
				b.KMSKey = keyARN
				rule = &state.Rule{Algorithm: "aws:kms", KeyRef: keyARN, KeyARN: keyARN, BucketKey: true}
				keys = map[state.KeyRef]*state.Key{{Region: "us-east-1", Ref: keyARN}: enabledKey()}
			}
			ob := existing("media", "us-east-1", rule)
			ob.Objects, ob.ObjectsDeferred = tc.objects, tc.objects == nil
			p := ComputeWith(&policy.Policy{Buckets: []policy.Bucket{b}}, newState(map[string]*state.Bucket{"media": ob}, keys),
				Inputs{Batch: map[string]BatchInput{"media": tc.in}, RetryFailedBatch: tc.retry})
			ch, ok := p.Change("reencrypt-objects/media")
			var blockers []string
			for _, bl := range p.Blockers {
				blockers = append(blockers, bl.Code)
				if bl.Change != "reencrypt-objects/media" {
					t.Errorf("blocker %s stops %q, want the re-encryption alone", bl.Code, bl.Change)
				}
				if strings.Contains(bl.Message, "update-job-status") {
					t.Errorf("blocker %s prints a confirm command: %s", bl.Code, bl.Message)
				}
			}
			if diff := cmp.Diff(tc.blockers, blockers); diff != "" {
				t.Errorf("blockers (-want +got):\n%s\n%+v", diff, p.Blockers)
			}
			switch {
			case tc.engine != "":
				if !ok || ch.Engine != tc.engine || len(ch.BatchJobs) != 0 {
					t.Errorf("change %+v, want engine %s without jobs", ch, tc.engine)
				}
			case tc.want == nil && ok:
				t.Errorf("a reencrypt change with jobs %v, want none", jobsOf(ch.BatchJobs))
			case tc.want != nil:
				if !ok {
					t.Fatalf("no reencrypt change: %+v", view(p))
				}
				if diff := cmp.Diff(tc.want, jobsOf(ch.BatchJobs)); diff != "" {
					t.Errorf("jobs (-want +got):\n%s", diff)
				}
				for _, j := range ch.BatchJobs {
					if (j.Operation == OpCopy) != (j.MaxObjectSize == MaxBatchCopySize) || (j.Operation == OpCopy) != (j.StorageClass != "") {
						t.Errorf("job %s of %s: max size %d, class %q", j.Operation, j.Filter, j.MaxObjectSize, j.StorageClass)
					}
				}
				if ch.Cost == nil || ch.Cost.Engine != EngineBatch {
					t.Errorf("no batch cost estimate: %+v", ch.Cost)
				}
			}
			var codes []string
			for _, w := range p.Warnings {
				if strings.HasPrefix(w.Code, "batch-") {
					codes = append(codes, w.Code)
				}
			}
			if diff := cmp.Diff(tc.warnings, codes); diff != "" {
				t.Errorf("batch warnings (-want +got):\n%s\n%+v", diff, p.Warnings)
			}
		})
	}
}

// jobsOf names a change's jobs as "operation filter [class] generation id".
func jobsOf(jobs []BatchJob) []string {
	var out []string
	for _, j := range jobs {
		f := j.Filter
		if j.StorageClass != "" {
			f += " " + j.StorageClass
		}
		out = append(out, fmt.Sprintf("%s %s %d %s", j.Operation, f, j.Generation, j.ID))
	}
	return out
}
