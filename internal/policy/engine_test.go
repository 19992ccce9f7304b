package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEngineAndBatchDefaults(t *testing.T) {
	t.Parallel()
	p, err := Load("testdata/ok/batch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Engine Engine
		Batch  *BatchOperations
	}
	var gots []got
	for _, b := range p.Buckets {
		gots = append(gots, got{b.EngineOrAuto(), b.Batch})
	}
	role := "arn:aws:iam::123456789012:role/sseguard-batch"
	want := []got{
		{EngineBatch, &BatchOperations{RoleARN: role, ReportBucket: "media-reports", ReportPrefix: "sseguard/", ConfirmationRequired: false, Priority: 20, Pos: Pos{Line: 10, Column: 7}}},
		{EngineAuto, &BatchOperations{RoleARN: role, ReportBucket: "media-reports", ConfirmationRequired: true, Priority: 10, Pos: Pos{Line: 19, Column: 7}}},
		{EngineLocal, nil},
	}
	if diff := cmp.Diff(want, gots); diff != "" {
		t.Errorf("engines (-want +got):\n%s", diff)
	}
}
