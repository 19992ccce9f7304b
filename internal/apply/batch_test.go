package apply

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/plan"
)

type fakeBatch struct {
	jobs  []plan.BatchJob
	err   error
	calls []plan.Rule
}

func (f *fakeBatch) Start(_ context.Context, _ plan.Change, rule plan.Rule) ([]plan.BatchJob, error) {
	f.calls = append(f.calls, rule)
	return f.jobs, f.err
}

func TestBatchEngine(t *testing.T) {
	t.Parallel()
	change := plan.Change{ID: "reencrypt-objects/media", Kind: plan.ReencryptObjects, Bucket: "media", Region: "us-east-1",
		Rule: &plan.Rule{Algorithm: plan.AlgAES256}, Engine: plan.EngineBatch,
		Batch:     &plan.BatchConfig{RoleARN: "arn:aws:iam::111122223333:role/batch", ReportBucket: "reports", Revision: "r1"},
		BatchJobs: plan.BatchJobsFor(plan.AlgAES256, 0, nil, true)}
	upd := func(id, status string, isNew bool) plan.BatchJob {
		return plan.BatchJob{Operation: plan.OpCopy, Filter: "NOT-SSE", ID: id, Status: status, New: isNew}
	}
	cases := map[string]struct {
		batch     *fakeBatch
		noStarter bool
		noConfig  bool
		want      plan.Outcome
		detail    string
	}{
		"created":       {batch: &fakeBatch{jobs: []plan.BatchJob{upd("j1", "New", true)}}, want: plan.Done, detail: "job j1 (S3PutObjectCopy of NOT-SSE objects, generation 0): New"},
		"found":         {batch: &fakeBatch{jobs: []plan.BatchJob{upd("j1", "Active", false)}}, want: plan.Done, detail: "nothing new created"},
		"failed":        {batch: &fakeBatch{err: errors.New("AccessDenied")}, want: plan.Failed, detail: "AccessDenied"},
		"second failed": {batch: &fakeBatch{jobs: []plan.BatchJob{upd("j1", "New", true)}, err: errors.New("AccessDenied")}, want: plan.Failed, detail: "AccessDenied"},
		"no starter":    {noStarter: true, want: plan.Failed, detail: "not available"},
		"no config":     {batch: &fakeBatch{}, noConfig: true, want: plan.Failed, detail: "no Batch Operations job"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := &Applier{}
			if !tc.noStarter {
				a.Batch = tc.batch
			}
			c := change
			if tc.noConfig {
				c.Batch = nil
			}
			res := a.Apply(context.Background(), &plan.Plan{Changes: []plan.Change{c}})
			if len(res) != 1 {
				t.Fatalf("%d results", len(res))
			}
			r := res[0]
			if r.Outcome != tc.want || !strings.Contains(r.Detail+r.Error, tc.detail) {
				t.Errorf("outcome %s, detail %q, error %q; want %s with %q", r.Outcome, r.Detail, r.Error, tc.want, tc.detail)
			}
			if tc.batch != nil && len(tc.batch.jobs) != len(r.BatchJobs) {
				t.Errorf("the result holds %d jobs, want %d", len(r.BatchJobs), len(tc.batch.jobs))
			}
		})
	}
}
