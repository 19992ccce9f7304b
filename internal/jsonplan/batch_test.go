package jsonplan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sseguard/sseguard/internal/plan"
)

// fxBatch is a plan whose re-encryption runs on Batch Operations, with a job awaiting confirmation.
func fxBatch() (*plan.Plan, []plan.Result) {
	job := plan.BatchJob{Operation: plan.OpCopy, Filter: "NOT-SSE", MaxObjectSize: plan.MaxBatchCopySize, ID: "job-1", Status: "Suspended", Created: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), Total: 120,
		AwaitingConfirmation: true, ConfirmCommand: "aws s3control update-job-status --account-id 111122223333 --region us-east-1 --job-id job-1 --requested-job-status Ready"}
	p := &plan.Plan{PolicyPath: "sseguard.yaml", Account: "111122223333",
		Buckets: []plan.BucketStatus{{Name: "media", Region: "us-east-1", Line: 4, Status: plan.Drift, Required: "SSE-S3", Observed: "SSE-S3", Changes: []string{"reencrypt-objects/media"}}},
		Changes: []plan.Change{{ID: "reencrypt-objects/media", Kind: plan.ReencryptObjects, Bucket: "media", Region: "us-east-1", Line: 4,
			Before: "existing objects (apply scans and re-encrypts them in one pass)", After: "every object SSE-S3",
			Rule: &plan.Rule{Algorithm: plan.AlgAES256}, Engine: plan.EngineBatch, EngineReason: "engine: batch-operations in the policy",
			Batch:     &plan.BatchConfig{RoleARN: "arn:aws:iam::111122223333:role/batch", ReportBucket: "reports", ConfirmationRequired: true, Priority: 10, Revision: "abc"},
			BatchJobs: []plan.BatchJob{job, {Operation: plan.OpCopy, Filter: "SSE-KMS", MaxObjectSize: plan.MaxBatchCopySize}}}},
	}
	return p, []plan.Result{{ChangeID: "reencrypt-objects/media", Outcome: plan.Unchanged, Detail: "Batch Operations job job-1: Suspended", BatchJobs: []plan.BatchJob{job}}}
}

func TestJSONBatchMatchesSchema(t *testing.T) {
	t.Parallel()
	p, results := fxBatch()
	var buf bytes.Buffer
	if err := Write(&buf, p, results, strings.NewReader(""), testOptions(ModeApply)); err != nil {
		t.Fatal(err)
	}
	if err := planSchema(t).Validate(decodeInstance(t, buf.Bytes())); err != nil {
		t.Fatalf("batch plan does not match the schema: %v\n%s", err, buf.String())
	}
	var doc struct {
		Plan struct {
			Changes []struct {
				Engine    string `json:"engine"`
				BatchJobs []struct {
					Filter               string `json:"filter"`
					Status               string `json:"status"`
					AwaitingConfirmation bool   `json:"awaiting_confirmation"`
				} `json:"batch_jobs"`
			} `json:"changes"`
		} `json:"plan"`
		Results []struct {
			BatchJobs []struct{ ID string } `json:"batch_jobs"`
		} `json:"results"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Plan.Changes) != 1 || doc.Plan.Changes[0].Engine != "batch-operations" || len(doc.Plan.Changes[0].BatchJobs) != 2 ||
		!doc.Plan.Changes[0].BatchJobs[0].AwaitingConfirmation || doc.Plan.Changes[0].BatchJobs[1].Filter != "SSE-KMS" || doc.Plan.Changes[0].BatchJobs[1].Status != "" {
		t.Errorf("changes: %+v", doc.Plan.Changes)
	}
	if len(doc.Results) != 1 || len(doc.Results[0].BatchJobs) != 1 || doc.Results[0].BatchJobs[0].ID != "job-1" {
		t.Errorf("results: %+v", doc.Results)
	}
}
