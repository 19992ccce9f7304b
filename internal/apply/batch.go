package apply

import (
	"context"
	"errors"

	"time"

	"github.com/sseguard/sseguard/internal/plan"
)

// BatchStarter makes sure a re-encryption's S3 Batch Operations job exists (creating it at most
// once: a re-run or a retried request finds the job instead) and answers its state.
type BatchStarter interface {
	Start(ctx context.Context, c plan.Change, rule plan.Rule) (*plan.BatchJob, error)
}

// batch runs a reencrypt-objects change on Batch Operations: the job does the work after this run
// ends, so the change is done when the job exists (created now or by an earlier run); its
// progress is reported on later runs.
func (a *Applier) batch(ctx context.Context, c plan.Change, created map[string]string, res *plan.Result) (string, error) {
	if a.Batch == nil {
		return "", errors.New("the Batch Operations engine is not available in this run; nothing was re-encrypted")
	}
	if c.Batch == nil {
		return "", errors.New("the plan has no batch_operations for this bucket; nothing was re-encrypted")
	}
	rule, err := resolveRule(c, created)
	if err != nil {
		return "", err
	}
	job, err := a.Batch.Start(ctx, c, rule)
	if err != nil {
		return "", err
	}
	res.BatchJob = job
	detail := "Batch Operations " + job.Summary(time.Now())
	if !job.New {
		// Found, not created. The objects are not as required until the job has run and a scan
		// says so: the change is not "unchanged" (which would read as in sync).
		detail += " (created by an earlier run; nothing new created)"
	}
	return detail, nil
}
