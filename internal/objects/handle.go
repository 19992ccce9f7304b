package objects

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/awserr"
)

// outcome is what became of one listed object.
type outcome int

const (
	// outNotExamined: the run stopped (budget, time, its end) before the object was decided; it
	// counts as remaining, and a re-run picks it up.
	outNotExamined outcome = iota
	// outGone: the object was deleted after it was listed.
	outGone
	// outCompliant: the object is encrypted as required.
	outCompliant
	// outWouldFix: a Scan found the object needs re-encryption.
	outWouldFix
	// outFixed: the object was re-encrypted.
	outFixed
	// outSkipped: the object cannot be fixed in place (Finding.Reason says why).
	outSkipped
	// outFailed: reading or re-encrypting the object failed.
	outFailed
	// outFatal: it failed in a way that stops the run.
	outFatal
)

// handle examines one object and tallies what became of it. It returns an error only when the
// run must stop.
func (r *runner) handle(ctx context.Context, obj types.Object) error {
	o, f, err := r.examine(ctx, obj)
	if streak := r.tally(o, f); streak != nil {
		return streak
	}
	if o == outFatal {
		r.cancel(err)
	}
	return err
}

// examine reads one object, decides, and (in Fix) acts, re-reading and deciding again when a
// conditional write finds the object changed since it was read. It answers what became of the
// object, with its finding, and an error only when the run must stop (the run ending, a fatal
// failure). It changes no counter: tally does.
func (r *runner) examine(ctx context.Context, obj types.Object) (outcome, Finding, error) {
	if r.stopped() || (!r.fix && !r.takeBudget()) {
		return outNotExamined, Finding{}, nil
	}
	if !r.fix {
		if o, f, ok := r.fromInventory(obj); ok {
			return o, f, nil
		}
	}
	key := aws.ToString(obj.Key)
	listed := Finding{Key: key, Size: aws.ToInt64(obj.Size), ETag: aws.ToString(obj.ETag), StorageClass: classOf(string(obj.StorageClass))}
	budgeted := false
	if r.fix && r.listingCopyOn.Load() {
		if !r.takeBudget() {
			return outNotExamined, Finding{}, nil
		}
		budgeted = true
		if r.copyFromListing(ctx, obj) {
			f := listed
			f.Kind = KindUnread
			return outFixed, f, nil
		}
		if ctx.Err() != nil {
			return outNotExamined, Finding{}, context.Cause(ctx)
		}
	}
	var lastErr error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		head, err := r.head(ctx, key, "")
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return outNotExamined, Finding{}, context.Cause(ctx)
			case isNotFound(err):
				return outGone, Finding{}, nil
			case awserr.HTTPStatus(err) == http.StatusBadRequest:
				// S3 refuses to HEAD an SSE-C object without its key.
				f := listed
				f.Observed = "SSE-C"
				return asSkipped(f, ReasonSSEC, "HeadObject answered 400: the object is encrypted with a customer-provided key")
			}
			return asFailed(listed, KindSkipped, fmt.Errorf("read object: %w", err))
		}
		f := Finding{Key: key, VersionID: aws.ToString(head.VersionId), Size: aws.ToInt64(head.ContentLength), ETag: aws.ToString(head.ETag),
			StorageClass: classOf(string(head.StorageClass))}
		d, err := r.decide(ctx, key, head, r.gate.usable())
		f.Kind, f.Observed = d.kind, d.observed
		switch {
		case err != nil && ctx.Err() != nil:
			return outNotExamined, Finding{}, context.Cause(ctx)
		case err != nil:
			return asFailed(f, d.kind, err)
		case d.kind == "":
			r.sampleRead(false)
			return outCompliant, f, nil
		case d.reason != "":
			r.sampleRead(false)
			return asSkipped(f, d.reason, d.note)
		}
		r.sampleRead(true)
		if !r.fix {
			return outWouldFix, f, nil
		}
		if !budgeted {
			if !r.takeBudget() {
				return outNotExamined, Finding{}, nil
			}
			budgeted = true
		}
		reason, err := r.fixObject(ctx, key, head, d)
		switch {
		case err != nil && !errors.Is(err, errFatal) && ctx.Err() != nil:
			// Interrupted by the end of the run, not failed: a re-run picks it up.
			return outNotExamined, Finding{}, context.Cause(ctx)
		case err != nil && isPrecondition(err):
			lastErr = err
			continue
		case errors.Is(err, errGone):
			return outGone, Finding{}, nil
		case errors.Is(err, errFatal):
			f.Err = err.Error()
			return outFatal, f, err
		case err != nil:
			return asFailed(f, d.kind, err)
		case reason != "":
			return asSkipped(f, reason, "")
		}
		return outFixed, f, nil
	}
	return asFailed(listed, KindSkipped, fmt.Errorf("the object kept changing while being re-encrypted (%d attempts): %w", maxAttempts, lastErr))
}

// asSkipped is the outcome of an object that cannot be fixed in place; note may say more.
func asSkipped(f Finding, reason, note string) (outcome, Finding, error) {
	f.Kind, f.Reason, f.Err = KindSkipped, reason, note
	return outSkipped, f, nil
}

// asFailed is the outcome of an object whose reading or re-encryption failed with err; kind is
// what the object was found to be (KindSkipped when it could not be read).
func asFailed(f Finding, kind string, err error) (outcome, Finding, error) {
	f.Kind, f.Err = kind, err.Error()
	return outFailed, f, nil
}

// tally counts what became of one object: it is the one place the per-object counters (those
// Progress and Summary show) change, and it records the finding of every outcome that has one.
// It returns an error that stops the run once too many objects in a row have failed.
func (r *runner) tally(o outcome, f Finding) error {
	switch o {
	case outNotExamined:
		r.remaining.Add(1)
		return nil
	case outGone:
		r.gone.Add(1)
		return nil
	}
	r.scanned.Add(1)
	switch o {
	case outCompliant:
		r.compliant.Add(1)
		return nil
	case outWouldFix:
		f.Action = ActionWouldFix
		r.toFix.Add(1)
	case outFixed:
		f.Action = ActionFixed
		r.toFix.Add(1)
		r.fixed.Add(1)
		r.consecutiveFailures.Store(0)
	case outSkipped:
		f.Action = ActionSkipped
		r.skipped.Add(1)
	case outFailed, outFatal:
		f.Action = ActionFailed
		if f.Kind != KindSkipped && f.Kind != "" {
			r.toFix.Add(1)
		}
		r.failed.Add(1)
	}
	r.record(f)
	if o != outFailed {
		return nil
	}
	if n := r.consecutiveFailures.Add(1); n >= maxConsecutiveFailures {
		return fmt.Errorf("%w: %d objects in a row failed in bucket %s, the last %s: %s", errFatal, n, r.t.Bucket, f.Key, f.Err)
	}
	return nil
}

// record keeps a finding: counted by kind or reason, in the sample, and passed to OnFinding.
func (r *runner) record(f Finding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.Reason != "" {
		r.skippedBy[f.Reason]++
	} else if f.Kind != "" && f.Kind != KindSkipped {
		r.toFixBy[f.Kind]++
		if r.toFixByClass == nil {
			r.toFixByClass = map[string]map[string]int{}
		}
		if r.toFixByClass[f.Kind] == nil {
			r.toFixByClass[f.Kind] = map[string]int{}
		}
		r.toFixByClass[f.Kind][classOf(f.StorageClass)]++
	}
	if r.o.SampleSize > 0 {
		// Keep the findings with the smallest keys, whatever order they complete in: trimmed
		// now and then so memory stays bounded.
		r.sample = append(r.sample, f)
		if len(r.sample) >= 2*r.o.SampleSize {
			r.sample = smallestKeys(r.sample, r.o.SampleSize)
		}
	}
	if r.o.OnFinding != nil {
		r.o.OnFinding(f)
	}
}

func (r *runner) head(ctx context.Context, key, versionID string) (*s3.HeadObjectOutput, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(r.t.Bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	return r.c.HeadObject(ctx, in)
}
