package pipeline

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/plan"
)

func TestSettleDropsChangesThatHadNothingToDo(t *testing.T) {
	t.Parallel()
	pl := &plan.Plan{
		Buckets: []plan.BucketStatus{
			{Name: "a", Status: plan.Drift, Changes: []string{"reencrypt-objects/a"}},
			{Name: "b", Status: plan.Drift, Changes: []string{"set-default-encryption/b", "reencrypt-objects/b"}},
		},
		Changes: []plan.Change{{ID: "set-default-encryption/b"}, {ID: "reencrypt-objects/a"}, {ID: "reencrypt-objects/b"}},
	}
	results := []plan.Result{
		{ChangeID: "set-default-encryption/b", Outcome: plan.Done},
		{ChangeID: "reencrypt-objects/a", Outcome: plan.Unchanged},
		{ChangeID: "reencrypt-objects/b", Outcome: plan.Done},
	}
	counts := map[string]*plan.ObjectCounts{"a": {Scanned: 3, Compliant: 3}, "b": {Scanned: 2, Fixed: 2}}
	got, res := settle(pl, results, counts)
	if diff := cmp.Diff([]string{"set-default-encryption/b", "reencrypt-objects/b"}, ids(got.Changes)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if len(res) != 2 || res[0].ChangeID != "set-default-encryption/b" || res[1].ChangeID != "reencrypt-objects/b" {
		t.Errorf("results = %+v", res)
	}
	if a := got.Buckets[0]; a.Status != plan.InSync || len(a.Changes) != 0 || a.Objects.Scanned != 3 {
		t.Errorf("bucket a = %+v, want in sync with its scan counts", a)
	}
	if b := got.Buckets[1]; b.Status != plan.Drift || b.Objects.Fixed != 2 {
		t.Errorf("bucket b = %+v", b)
	}
	if len(pl.Changes) != 3 || pl.Buckets[0].Status != plan.Drift {
		t.Error("settle changed the plan it was given")
	}
}

func ids(cs []plan.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}
