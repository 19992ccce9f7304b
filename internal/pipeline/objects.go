package pipeline

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sseguard/sseguard/internal/apply"
	"github.com/sseguard/sseguard/internal/jsonplan"
	"github.com/sseguard/sseguard/internal/objects"
	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/state"
)

// Finding is one object that is not as required (or cannot be fixed in place), exactly as the
// JSON plan lists it: the document's own type, so the two cannot drift apart.
type Finding = jsonplan.ObjectFinding

func findingOf(bucket string, f objects.Finding) Finding {
	return Finding{Bucket: bucket, Key: f.Key, VersionID: f.VersionID, Kind: f.Kind, Reason: f.Reason,
		Observed: f.Observed, Size: f.Size, ETag: f.ETag, Action: f.Action, Error: f.Err}
}

var (
	_ observe.Scanner     = (*objectRunner)(nil)
	_ apply.ObjectFixer   = (*objectRunner)(nil)
	_ objects.KeyResolver = (*observe.Observer)(nil) // the observer resolves the runner's key ids
)

// objectRunner scans and fixes existing objects through package objects, for observe (as its
// Scanner) and apply (as its ObjectFixer).
type objectRunner struct {
	clients AWS
	keys    objects.KeyResolver
	opts    objects.Options
	log     io.Writer
	// owner is the account that must own every bucket (ExpectedBucketOwner); set for apply.
	owner string
	// trusted are the policy's trusted accounts: an S3 Inventory may be read from their buckets.
	trusted   []string
	mu        sync.Mutex
	onFinding func(Finding)
}

func (r *objectRunner) options(bucket, verb string) objects.Options {
	o := r.opts
	o.Progress = func(p objects.Progress) {
		if p.Done && p.Scanned == 0 {
			return // an empty bucket or prefix: nothing worth a line
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		fmt.Fprintf(r.log, "  objects %s (%s): %s\n", bucket, verb, p)
	}
	if r.onFinding != nil {
		o.OnFinding = func(f objects.Finding) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.onFinding(findingOf(bucket, f))
		}
	}
	return o
}

// target is the objects package's target for a scan: t, the policy's trusted accounts (whose
// buckets may hold the bucket's S3 Inventory) and, after Batch Operations jobs, when they ended.
func (r *objectRunner) target(t observe.ScanTarget, notBefore time.Time) objects.Target {
	return objects.Target{
		Bucket: t.Bucket, Region: t.Region, Algorithm: t.Algorithm, KeyARN: t.KeyARN,
		BucketKey: t.BucketKey, Prefixes: t.Prefixes, ExpectedBucketOwner: t.Owner, BucketPolicy: t.BucketPolicy,
		TrustedOwners: r.trusted, InventoryNotBefore: notBefore,
	}
}

// Scan implements observe.Scanner.
func (r *objectRunner) Scan(ctx context.Context, t observe.ScanTarget) (*state.ObjectCounts, error) {
	s, err := objects.Scan(ctx, r.clients.Objects(t.Region), r.keys, r.target(t, time.Time{}), r.options(t.Bucket, "scan"))
	if err != nil {
		return nil, err
	}
	return counts(s), nil
}

// check scans a bucket as Scan does after its Batch Operations jobs ended at notBefore (an
// inventory that began earlier is not used), and tallies the objects to fix by the job that would
// take them (plan.BatchTally: by kind and storage class, those over the copy limit apart).
func (r *objectRunner) check(ctx context.Context, t observe.ScanTarget, notBefore time.Time) (*state.ObjectCounts, *plan.BatchTally, error) {
	o := r.options(t.Bucket, "check")
	tally := plan.NewBatchTally(t.Algorithm, "the check scan")
	next := o.OnFinding
	o.OnFinding = func(f objects.Finding) {
		if f.Action == objects.ActionWouldFix {
			tally.AddKind(f.Kind, f.StorageClass, f.Size)
		}
		if next != nil {
			next(f)
		}
	}
	s, err := objects.Scan(ctx, r.clients.Objects(t.Region), r.keys, r.target(t, notBefore), o)
	if err != nil {
		return nil, nil, err
	}
	tally.Scanned = s.Scanned
	if src := s.Source; src != nil && src.Kind == state.SourceInventory {
		tally.Source = fmt.Sprintf("the check scan (S3 Inventory %s created %s, and HEAD)", src.InventoryID, src.Created)
	}
	return counts(s), tally, nil
}

// Fix implements apply.ObjectFixer.
func (r *objectRunner) Fix(ctx context.Context, c plan.Change, rule plan.Rule) (*plan.ObjectCounts, error) {
	var owner *string
	if r.owner != "" {
		owner = aws.String(r.owner)
	}
	// The bucket policy as it stands now (apply may just have changed it), so that a copy it
	// refuses names the statement that refused it.
	bp := ""
	if out, err := r.clients.Observe().S3(c.Region).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(c.Bucket), ExpectedBucketOwner: owner}); err == nil {
		bp = aws.ToString(out.Policy)
	}
	s, err := objects.Fix(ctx, r.clients.Objects(c.Region), r.keys, objects.Target{
		Bucket: c.Bucket, Region: c.Region, Algorithm: rule.Algorithm, KeyARN: rule.KeyARN,
		BucketKey: rule.BucketKey, Prefixes: c.Prefixes, ExpectedBucketOwner: r.owner, BucketPolicy: bp,
	}, r.options(c.Bucket, "re-encrypt"))
	return counts(s), err
}

func counts(s objects.Summary) *state.ObjectCounts {
	c := &state.ObjectCounts{
		Scanned: s.Scanned, Compliant: s.Compliant, ToFix: s.ToFix, ToFixByClass: s.ToFixByClass, Skipped: s.Skipped,
		Noncurrent: s.NoncurrentVersions, Fixed: s.Fixed, Failed: s.Failed, Remaining: s.Remaining,
		Source: s.Source,
	}
	for _, f := range s.Sample {
		kind := f.Kind
		if f.Reason != "" {
			kind += " (" + f.Reason + ")"
		}
		c.Sample = append(c.Sample, state.ObjectSample{Key: f.Key, Kind: kind, Observed: f.Observed})
	}
	return c
}
