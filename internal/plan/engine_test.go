package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

func TestEngineChoice(t *testing.T) {
	t.Parallel()
	batch := &policy.BatchOperations{RoleARN: "arn:aws:iam::111122223333:role/batch", ReportBucket: "reports", ConfirmationRequired: true, Priority: 10}
	scanned := func(n, remaining int) *state.ObjectCounts {
		return &state.ObjectCounts{Scanned: n, Remaining: remaining, ToFix: map[string]int{"sse-s3": n}}
	}
	job := &BatchJob{ID: "j1", Status: "Active", Total: 10, Succeeded: 4}
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
		"auto deferred, job exists": {"", batch, nil, true, Inputs{Batch: map[string]BatchInput{"media": {Listed: 3, ListedAll: true, Job: job}}}, EngineBatch, "already exists"},
		"auto deferred, unknown":    {"", batch, nil, true, Inputs{}, EngineLocal, "not known"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := policy.Bucket{Name: "media", Encryption: policy.SSES3, ExistingObjects: policy.ObjectsReencrypt, Engine: tc.engine, Batch: tc.batch, Pos: policy.Pos{Line: 3, Column: 5}}
			ob := existing("media", "us-east-1", &state.Rule{Algorithm: "AES256"})
			ob.Objects, ob.ObjectsDeferred = tc.objects, tc.deferred
			p := ComputeWith(&policy.Policy{Buckets: []policy.Bucket{b}}, newState(map[string]*state.Bucket{"media": ob}, nil), tc.in)
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
			if name == "auto deferred, job exists" && (ch.BatchJob == nil || ch.BatchJob.ID != "j1") {
				t.Errorf("existing job not in the change: %+v", ch.BatchJob)
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
	j := &BatchJob{ID: "j1", Status: "Suspended", Total: 100, Created: now.Add(-90 * time.Minute), AwaitingConfirmation: true, ConfirmCommand: "aws s3control update-job-status ..."}
	want := "job j1: Suspended, 0 of 100 tasks succeeded, 0 failed, started 1h30m0s ago; awaiting confirmation: aws s3control update-job-status ..."
	if got := j.Summary(now); got != want {
		t.Errorf("Summary:\n got %s\nwant %s", got, want)
	}
}
