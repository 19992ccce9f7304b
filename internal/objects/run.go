package objects

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/sseguard/sseguard/internal/state"
)

const (
	// maxAttempts bounds how often one object is re-read and decided again after a conditional
	// write found it changed.
	maxAttempts = 4
	// maxConsecutiveFailures stops a run that fails every object (a missing permission, a key
	// that cannot be used) instead of failing millions of objects one by one.
	maxConsecutiveFailures = 50
)

// withDefaults fills in the zero values; the options must have passed Validate.
func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.PartConcurrency <= 0 {
		o.PartConcurrency = DefaultPartConcurrency
	}
	if o.MultipartThreshold <= 0 {
		o.MultipartThreshold = DefaultMultipartThreshold
	}
	if o.PartSize <= 0 {
		o.PartSize = DefaultPartSize
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = DefaultProgressInterval
	}
	if o.CopyFromListingSample <= 0 {
		o.CopyFromListingSample = DefaultCopyFromListingSample
	}
	if o.SampleSize == 0 {
		o.SampleSize = DefaultSampleSize
	}
	if o.UpdateObjectEncryption == "" {
		o.UpdateObjectEncryption = UpdateEncryptionAuto
	}
	return o
}

// validate checks the target. A Scan may require aws:kms with no key: the key does not exist yet
// (a plan that creates it), so no object can be under it.
func (t Target) validate(fix bool) error {
	if t.Bucket == "" {
		return errors.New("objects: target has no bucket")
	}
	switch t.Algorithm {
	case AlgorithmKMS:
		if t.KeyARN == "" && fix {
			return fmt.Errorf("objects: bucket %s requires aws:kms but names no key", t.Bucket)
		}
	case AlgorithmAES256:
		if t.KeyARN != "" {
			return fmt.Errorf("objects: bucket %s requires AES256 but names key %s", t.Bucket, t.KeyARN)
		}
	default:
		return fmt.Errorf("objects: bucket %s: algorithm must be %q or %q, not %q", t.Bucket, AlgorithmAES256, AlgorithmKMS, t.Algorithm)
	}
	return nil
}

// runner is one Scan or Fix over one bucket.
type runner struct {
	c      *client
	keys   *keyCache
	t      Target
	o      Options
	fix    bool
	start  time.Time
	cancel context.CancelCauseFunc

	versioning string
	// aclsDisabled is set once the bucket is known to have ACLs disabled: no per-object ACL check.
	aclsDisabled atomic.Bool
	gate         *updateGate
	// destIfMatchNotImplemented is set once the endpoint answers that it does not implement
	// If-Match on CopyObject's destination: later copies carry the source condition alone.
	destIfMatchNotImplemented atomic.Bool
	// listingCopyAllowed says the bucket allows copying from the listing (Options.CopyFromListing
	// asked for it and nothing would be lost); listingCopyOn is set once the sample shows the
	// bucket is mostly wrong.
	listingCopyAllowed, listingCopyOn atomic.Bool
	sampledRead, sampledWrong         atomic.Int64
	// inv is the bucket's inventory (Scan only; nil: every object is read), source where the
	// counts come from; invDecided and invHeaded count objects decided by it and read instead.
	inv                   *invIndex
	source                *state.ObjectSource
	invDecided, invHeaded atomic.Int64
	// policy is Target.BucketPolicy parsed, once, when a refusal is to be explained.
	policy *bucketPolicy

	// listed, listingDone and remainingAtLeast are the listing's (list); the other counts are
	// what became of each object, changed by tally alone.
	listed                                                             atomic.Int64
	listingDone, remainingAtLeast                                      atomic.Bool
	scanned, compliant, toFix, fixed, failed, skipped, gone, remaining atomic.Int64
	consecutiveFailures                                                atomic.Int64
	budget                                                             atomic.Int64

	stopCh     chan struct{}
	stopOnce   sync.Once
	stopReason atomic.Value

	mu           sync.Mutex // serialises OnFinding and guards the maps and the sample below
	toFixBy      map[string]int
	toFixByClass map[string]map[string]int
	skippedBy    map[string]int
	sample       []Finding
}

// run is Scan (fix false) or Fix (fix true): it lists the bucket into Options.Concurrency workers,
// each of which handles one object at a time, and then counts noncurrent versions.
func run(ctx context.Context, api S3API, keys KeyResolver, t Target, o Options, fix bool) (Summary, error) {
	start := time.Now()
	if err := o.Validate(); err != nil {
		return Summary{}, fmt.Errorf("objects: %w", err)
	}
	o = o.withDefaults()
	if err := t.validate(fix); err != nil {
		return Summary{}, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &runner{
		c: newClient(api, o, t.ExpectedBucketOwner), keys: newKeyCache(keys, t.Region), t: t, o: o, fix: fix, start: start, cancel: cancel,
		stopCh: make(chan struct{}), toFixBy: map[string]int{}, toFixByClass: map[string]map[string]int{}, skippedBy: map[string]int{}, gate: newGate(false),
		policy: newBucketPolicy(t.BucketPolicy),
	}
	r.budget.Store(int64(o.MaxObjects))
	if t.Algorithm == AlgorithmKMS && t.KeyARN != "" && !isKeyARN(t.KeyARN) {
		arn, err := r.keys.resolve(ctx, t.KeyARN)
		if err != nil {
			return r.summary(), fmt.Errorf("resolve required key %s of bucket %s: %w", t.KeyARN, t.Bucket, err)
		}
		r.t.KeyARN = arn
	}
	useUpdate := false
	switch o.UpdateObjectEncryption {
	case UpdateEncryptionAlways:
		useUpdate = true
	case UpdateEncryptionAuto:
		useUpdate = isAWSEndpoint(ctx, api, t.Bucket, t.Region)
	}
	r.gate = newGate(useUpdate && r.t.Algorithm == AlgorithmKMS)

	v, err := r.c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(t.Bucket)})
	if err != nil {
		return r.summary(), fmt.Errorf("read versioning of bucket %s: %w", t.Bucket, err)
	}
	r.versioning = string(v.Status)
	r.probeACLs(ctx)
	// The time budget covers reading the inventory too.
	if o.MaxDuration > 0 {
		timer := time.AfterFunc(o.MaxDuration-time.Since(start), func() { r.stop(StoppedMaxDuration) })
		defer timer.Stop()
	}
	if !fix {
		r.useInventory(ctx, api)
	}
	if fix && o.CopyFromListing {
		r.listingCopyAllowed.Store(r.probeListingCopy(ctx))
	}

	progressDone := make(chan struct{})
	progressExited := make(chan struct{})
	go r.progressLoop(progressDone, progressExited)

	g, gctx := errgroup.WithContext(ctx)
	objs := make(chan types.Object, o.Concurrency)
	g.Go(func() error {
		defer close(objs)
		return r.list(gctx, objs)
	})
	for i := 0; i < o.Concurrency; i++ {
		g.Go(func() error {
			for obj := range objs {
				if err := r.handle(gctx, obj); err != nil {
					return err
				}
			}
			return nil
		})
	}
	err = g.Wait()
	if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	var noncurrent int
	if err == nil && r.versioning != "" {
		noncurrent, err = r.countNoncurrent(ctx)
	}
	close(progressDone)
	<-progressExited
	s := r.summary()
	s.NoncurrentVersions = noncurrent
	if err != nil {
		s.Stopped = StoppedError
	}
	if r.o.Progress != nil {
		p := r.progress()
		p.Done = true
		r.o.Progress(p)
	}
	return s, err
}

// probeACLs finds out once whether the bucket has ACLs disabled (Object Ownership
// BucketOwnerEnforced, the default for new buckets since 2023): then no object can carry grants
// a copy would drop, and no per-object ACL read is needed.
func (r *runner) probeACLs(ctx context.Context) {
	out, err := r.c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(r.t.Bucket)})
	if err != nil || out.OwnershipControls == nil {
		return
	}
	for _, rule := range out.OwnershipControls.Rules {
		if rule.ObjectOwnership == types.ObjectOwnershipBucketOwnerEnforced {
			r.aclsDisabled.Store(true)
		}
	}
}

func (r *runner) stop(reason string) {
	r.stopOnce.Do(func() {
		r.stopReason.Store(reason)
		close(r.stopCh)
	})
}

func (r *runner) stopped() bool {
	select {
	case <-r.stopCh:
		return true
	default:
		return false
	}
}

// takeBudget reserves one object of the MaxObjects budget, stopping the run when it is spent.
func (r *runner) takeBudget() bool {
	if r.o.MaxObjects <= 0 {
		return true
	}
	n := r.budget.Add(-1)
	if n <= 0 {
		r.stop(StoppedMaxObjects)
	}
	return n >= 0
}
