package report

import (
	"time"

	"github.com/sseguard/sseguard/internal/plan"
)

// JSONBatchConfig is how apply creates a reencrypt-objects change's S3 Batch Operations job.
type JSONBatchConfig struct {
	RoleARN              string `json:"role_arn"`
	ReportBucket         string `json:"report_bucket"`
	ReportPrefix         string `json:"report_prefix,omitempty"`
	ConfirmationRequired bool   `json:"confirmation_required"`
	Priority             int32  `json:"priority"`
	Revision             string `json:"revision"`
}

// JSONBatchJob is an S3 Batch Operations job: one the run found or created, or (no id) one
// apply creates.
type JSONBatchJob struct {
	Operation            string   `json:"operation"`
	Filter               string   `json:"filter"`
	MaxObjectSize        int64    `json:"max_object_size,omitempty"`
	Generation           int      `json:"generation"`
	ID                   string   `json:"id,omitempty"`
	Status               string   `json:"status,omitempty"`
	Created              string   `json:"created,omitempty"`
	TotalTasks           int64    `json:"total_tasks"`
	TasksSucceeded       int64    `json:"tasks_succeeded"`
	TasksFailed          int64    `json:"tasks_failed"`
	AwaitingConfirmation bool     `json:"awaiting_confirmation,omitempty"`
	ConfirmCommand       string   `json:"confirm_command,omitempty"`
	FailureReasons       []string `json:"failure_reasons,omitempty"`
	CreatedByThisRun     bool     `json:"created_by_this_run,omitempty"`
}

func jsonBatchConfig(b *plan.BatchConfig) *JSONBatchConfig {
	if b == nil {
		return nil
	}
	return &JSONBatchConfig{RoleARN: b.RoleARN, ReportBucket: b.ReportBucket, ReportPrefix: b.ReportPrefix,
		ConfirmationRequired: b.ConfirmationRequired, Priority: b.Priority, Revision: b.Revision}
}

func jsonBatchJobs(jobs []plan.BatchJob) []JSONBatchJob {
	var out []JSONBatchJob
	for _, j := range jobs {
		o := JSONBatchJob{Operation: j.Operation, Filter: j.Filter, MaxObjectSize: j.MaxObjectSize, Generation: j.Generation,
			ID: j.ID, Status: j.Status, TotalTasks: j.Total, TasksSucceeded: j.Succeeded, TasksFailed: j.Failed,
			AwaitingConfirmation: j.AwaitingConfirmation, ConfirmCommand: j.ConfirmCommand, FailureReasons: j.FailureReasons,
			CreatedByThisRun: j.New}
		if !j.Created.IsZero() {
			o.Created = j.Created.UTC().Format(time.RFC3339)
		}
		out = append(out, o)
	}
	return out
}
