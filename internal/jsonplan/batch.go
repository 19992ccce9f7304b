package jsonplan

import (
	"time"

	"github.com/sseguard/sseguard/internal/plan"
)

// BatchConfig is how apply creates a reencrypt-objects change's S3 Batch Operations job.
type BatchConfig struct {
	RoleARN              string `json:"role_arn"`
	ReportBucket         string `json:"report_bucket"`
	ReportPrefix         string `json:"report_prefix,omitempty"`
	ConfirmationRequired bool   `json:"confirmation_required"`
	Priority             int32  `json:"priority"`
	Revision             string `json:"revision"`
}

// BatchJob is an S3 Batch Operations job: one the run found or created, or (no id) one
// apply creates.
type BatchJob struct {
	Operation            string   `json:"operation"`
	Filter               string   `json:"filter"`
	StorageClass         string   `json:"storage_class,omitempty"`
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
	// Report is the job's completion report, FailedTasks a few failed tasks it lists, ReportNote
	// what of it could not be read or checked.
	Report           string            `json:"report,omitempty"`
	FailedTasks      []BatchFailedTask `json:"failed_tasks,omitempty"`
	ReportNote       string            `json:"report_note,omitempty"`
	CreatedByThisRun bool              `json:"created_by_this_run,omitempty"`
	// EndedAs is how an Expired job ended, as the bucket's record says.
	EndedAs string `json:"ended_as,omitempty"`
}

// BatchFailedTask is one failed task of a completion report.
type BatchFailedTask struct {
	Key        string `json:"key"`
	ErrorCode  string `json:"error_code,omitempty"`
	HTTPStatus string `json:"http_status,omitempty"`
	Message    string `json:"message,omitempty"`
}

// Cost is a re-encryption's estimated cost (see docs/plan-format.md).
type Cost struct {
	Engine  string     `json:"engine"`
	Basis   string     `json:"basis"`
	Items   []CostItem `json:"items"`
	USD     float64    `json:"usd"`
	AtLeast bool       `json:"at_least,omitempty"`
	Notes   []string   `json:"notes,omitempty"`
	Prices  string     `json:"prices"`
}

// CostItem is one line of an estimate.
type CostItem struct {
	What    string  `json:"what"`
	Count   int64   `json:"count"`
	UnitUSD float64 `json:"unit_usd"`
	USD     float64 `json:"usd"`
	UpTo    bool    `json:"up_to,omitempty"`
}

func jsonCost(c *plan.Cost) *Cost {
	if c == nil {
		return nil
	}
	out := &Cost{Engine: c.Engine, Basis: c.Basis, USD: c.USD, AtLeast: c.AtLeast, Notes: c.Notes, Prices: c.Prices, Items: []CostItem{}}
	for _, it := range c.Items {
		out.Items = append(out.Items, CostItem{What: it.What, Count: it.Count, UnitUSD: it.UnitUSD, USD: it.USD, UpTo: it.UpTo})
	}
	return out
}

func jsonBatchConfig(b *plan.BatchConfig) *BatchConfig {
	if b == nil {
		return nil
	}
	return &BatchConfig{RoleARN: b.RoleARN, ReportBucket: b.ReportBucket, ReportPrefix: b.ReportPrefix,
		ConfirmationRequired: b.ConfirmationRequired, Priority: b.Priority, Revision: b.Revision}
}

func jsonBatchJobs(jobs []plan.BatchJob) []BatchJob {
	var out []BatchJob
	for _, j := range jobs {
		o := BatchJob{Operation: j.Operation, Filter: j.Filter, StorageClass: j.StorageClass, MaxObjectSize: j.MaxObjectSize, Generation: j.Generation,
			ID: j.ID, Status: j.Status, TotalTasks: j.Total, TasksSucceeded: j.Succeeded, TasksFailed: j.Failed,
			AwaitingConfirmation: j.AwaitingConfirmation, ConfirmCommand: j.ConfirmCommand, FailureReasons: j.FailureReasons,
			Report: j.Report, ReportNote: j.ReportNote, CreatedByThisRun: j.New, EndedAs: j.EndedAs}
		for _, t := range j.FailedTasks {
			o.FailedTasks = append(o.FailedTasks, BatchFailedTask{Key: t.Key, ErrorCode: t.ErrorCode, HTTPStatus: t.HTTPStatus, Message: t.Message})
		}
		if !j.Created.IsZero() {
			o.Created = j.Created.UTC().Format(time.RFC3339)
		}
		out = append(out, o)
	}
	return out
}
