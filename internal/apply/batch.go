package apply

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sseguard/sseguard/internal/plan"
)

// BatchStarter makes sure a re-encryption's S3 Batch Operations jobs exist (creating each at
// most once: a re-run or a retried request finds the job instead) and answers their state.
type BatchStarter interface {
	Start(ctx context.Context, c plan.Change, rule plan.Rule) ([]plan.BatchJob, error)
}

// batch runs a reencrypt-objects change on Batch Operations: the jobs do the work after this run
// ends, so the change is done when they exist (created now or by an earlier run); their
// progress is reported on later runs.
func (a *Applier) batch(ctx context.Context, c plan.Change, created map[string]string, res *plan.Result) (string, error) {
	if a.Batch == nil {
		return "", errors.New("the Batch Operations engine is not available in this run; nothing was re-encrypted")
	}
	if c.Batch == nil || len(c.BatchJobs) == 0 {
		return "", errors.New("the plan has no Batch Operations job for this bucket; nothing was re-encrypted")
	}
	rule, err := resolveRule(c, created)
	if err != nil {
		return "", err
	}
	jobs, err := a.Batch.Start(ctx, c, rule)
	res.BatchJobs = jobs
	var lines []string
	for _, j := range jobs {
		line := "Batch Operations " + j.Summary(time.Now())
		if !j.New {
			// Found, not created. The objects are not as required until the job has run and a
			// check scan says so: the change is not "unchanged" (which would read as in sync).
			line += " (created by an earlier run; nothing new created)"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "; "), err
}
