package objects

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

const (
	// maxAttempts bounds how often one object is re-read and decided again after a conditional
	// write found it changed.
	maxAttempts = 4
	// maxConsecutiveFailures stops a run that fails every object (a missing permission, a key
	// that cannot be used) instead of failing millions of objects one by one.
	maxConsecutiveFailures = 50
	// remainingPages bounds the listing done after a budget stop just to count what remains.
	remainingPages = 100
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

// prefixes returns the target's prefixes without any that another one already covers, so no
// object is listed twice.
func (t Target) prefixes() []string {
	ps := append([]string(nil), t.Prefixes...)
	sort.Strings(ps)
	var out []string
	for _, p := range ps {
		if len(out) > 0 && strings.HasPrefix(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

type runner struct {
	c      *client
	keys   *keyCache
	t      Target
	o      Options
	fix    bool
	start  time.Time
	cancel context.CancelCauseFunc

	versioning string
	// aclsOff is set once the bucket is known to have ACLs disabled: no per-object ACL check.
	aclsOff atomic.Bool
	gate    *uoeGate
	// noDestIfMatch is set once the endpoint refuses If-Match on CopyObject's destination.
	noDestIfMatch atomic.Bool
	// listingCopyOK says the bucket allows copying from the listing (Options.CopyFromListing
	// asked for it and nothing would be lost); listingCopy is set once the sample shows the
	// bucket is mostly wrong.
	listingCopyOK, listingCopy atomic.Bool
	sampledRead, sampledWrong  atomic.Int64
	// policy is Target.BucketPolicy parsed, once, when a refusal is to be explained.
	policy *bucketPolicy

	listed, scanned, compliant, toFix, fixed, failed, skipped, gone, remaining atomic.Int64
	listingDone, remainingAtLeast                                              atomic.Bool
	budget                                                                     atomic.Int64
	consecutiveFailures                                                        atomic.Int64

	stopCh     chan struct{}
	stopOnce   sync.Once
	stopReason atomic.Value

	mu        sync.Mutex // serialises OnFinding and guards the maps and the sample below
	toFixBy   map[string]int
	skippedBy map[string]int
	sample    []Finding
}

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
		stopCh: make(chan struct{}), toFixBy: map[string]int{}, skippedBy: map[string]int{}, gate: newGate(false),
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
	uoe := false
	switch o.UpdateObjectEncryption {
	case UpdateEncryptionAlways:
		uoe = true
	case UpdateEncryptionAuto:
		uoe = IsAWSEndpoint(ctx, api, t.Bucket, t.Region)
	}
	r.gate = newGate(uoe && r.t.Algorithm == AlgorithmKMS)

	v, err := r.c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(t.Bucket)})
	if err != nil {
		return r.summary(), fmt.Errorf("read versioning of bucket %s: %w", t.Bucket, err)
	}
	r.versioning = string(v.Status)
	r.probeACLs(ctx)
	if fix && o.CopyFromListing {
		r.listingCopyOK.Store(r.probeListingCopy(ctx))
	}

	if o.MaxDuration > 0 {
		timer := time.AfterFunc(o.MaxDuration, func() { r.stop(StoppedMaxDuration) })
		defer timer.Stop()
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
			r.aclsOff.Store(true)
		}
	}
}

// probeListingCopy says whether copying from the listing, once asked for, is allowed in this
// bucket: no versions (a needless copy of a compliant object would add one), no ACLs (a copy
// drops grants), no Object Lock (the copy must not be tried on locked objects), no website
// configuration (where website redirects are served). Redirects on objects of a bucket without a
// website configuration are still dropped: only a HeadObject reveals them (see
// Options.CopyFromListing).
func (r *runner) probeListingCopy(ctx context.Context) bool {
	if r.versioning != "" || !r.aclsOff.Load() {
		return false
	}
	b := aws.String(r.t.Bucket)
	if _, err := r.c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b}); !(err != nil && errCode(err) == codeLockNotFound) {
		return false
	}
	if _, err := r.c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: b}); !(err != nil && errCode(err) == codeNoWebsite) {
		return false
	}
	return true
}

// sampleRead records what reading one object showed, and switches to copying from the listing
// once the sample shows nearly every object needs fixing.
func (r *runner) sampleRead(wrong bool) {
	if !r.listingCopyOK.Load() || r.listingCopy.Load() {
		return
	}
	if wrong {
		r.sampledWrong.Add(1)
	}
	n := r.sampledRead.Add(1)
	if n >= int64(r.o.CopyFromListingSample) && r.sampledWrong.Load()*10 >= n*9 {
		r.listingCopy.Store(true)
	}
}

// readableClass is a storage class whose objects can be copied without a restore.
func readableClass(c types.ObjectStorageClass) bool {
	switch c {
	case "", types.ObjectStorageClassStandard, types.ObjectStorageClassStandardIa,
		types.ObjectStorageClassOnezoneIa, types.ObjectStorageClassReducedRedundancy:
		return true
	}
	return false
}

// copyFromListing re-encrypts obj without reading it first. It answers false when the object
// must go the reading path instead (not eligible, or the copy failed for any reason: the
// reading path decides again from what it reads, and skips what cannot be copied).
func (r *runner) copyFromListing(ctx context.Context, obj types.Object) bool {
	if !r.listingCopy.Load() || !readableClass(obj.StorageClass) || aws.ToInt64(obj.Size) > r.o.MultipartThreshold || obj.ETag == nil {
		return false
	}
	h := &s3.HeadObjectOutput{ETag: obj.ETag, ContentLength: obj.Size}
	if obj.StorageClass != "" && obj.StorageClass != types.ObjectStorageClassStandard {
		h.StorageClass = types.StorageClass(obj.StorageClass)
	}
	return r.copyObject(ctx, aws.ToString(obj.Key), h) == nil
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

func (r *runner) list(ctx context.Context, out chan<- types.Object) error {
	afterStop := 0
	for _, p := range r.t.prefixes() {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(r.t.Bucket), MaxKeys: aws.Int32(1000)}
		if p != "" {
			in.Prefix = aws.String(p)
		}
		pages := s3.NewListObjectsV2Paginator(r.c, in)
		for pages.HasMorePages() {
			if r.stopped() {
				if afterStop++; afterStop > remainingPages {
					r.remainingAtLeast.Store(true)
					return nil
				}
			}
			page, err := pages.NextPage(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("list objects in s3://%s/%s: %w", r.t.Bucket, p, err)
			}
			for _, obj := range page.Contents {
				r.listed.Add(1)
				if r.stopped() {
					r.remaining.Add(1)
					continue
				}
				select {
				case out <- obj:
				case <-r.stopCh:
					r.remaining.Add(1)
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
	}
	r.listingDone.Store(true)
	return nil
}

// handle reads one object, decides, and (in Fix) acts, re-reading and deciding again when a
// conditional write finds the object changed since it was read.
func (r *runner) handle(ctx context.Context, obj types.Object) error {
	if r.stopped() {
		r.remaining.Add(1)
		return nil
	}
	if !r.fix && !r.takeBudget() {
		r.remaining.Add(1)
		return nil
	}
	key := aws.ToString(obj.Key)
	budgeted := false
	if r.fix && r.listingCopy.Load() {
		if !r.takeBudget() {
			r.remaining.Add(1)
			return nil
		}
		budgeted = true
		if r.copyFromListing(ctx, obj) {
			r.scanned.Add(1)
			r.toFix.Add(1)
			r.fixed.Add(1)
			r.consecutiveFailures.Store(0)
			r.record(Finding{Key: key, Kind: KindUnread, Size: aws.ToInt64(obj.Size), ETag: aws.ToString(obj.ETag), Action: ActionFixed})
			return nil
		}
		if ctx.Err() != nil {
			r.remaining.Add(1)
			return context.Cause(ctx)
		}
	}
	var lastErr error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		head, err := r.head(ctx, key, "")
		if err != nil {
			if ctx.Err() != nil {
				r.remaining.Add(1)
				return context.Cause(ctx)
			}
			if isNotFound(err) {
				r.gone.Add(1)
				return nil
			}
			f := Finding{Key: key, Size: aws.ToInt64(obj.Size), ETag: aws.ToString(obj.ETag)}
			if httpStatus(err) == 400 {
				// S3 refuses to HEAD an SSE-C object without its key.
				f.Observed = "SSE-C"
				r.scanned.Add(1)
				r.skip(f, ReasonSSEC, "HeadObject answered 400: the object is encrypted with a customer-provided key")
				return nil
			}
			r.scanned.Add(1)
			return r.failObject(f, KindSkipped, fmt.Errorf("read object: %w", err))
		}
		f := Finding{Key: key, VersionID: aws.ToString(head.VersionId), Size: aws.ToInt64(head.ContentLength), ETag: aws.ToString(head.ETag)}
		d, err := r.decide(ctx, key, head, r.gate.usable())
		f.Kind, f.Observed = d.kind, d.observed
		if err != nil {
			if ctx.Err() != nil {
				r.remaining.Add(1)
				return context.Cause(ctx)
			}
			r.scanned.Add(1)
			return r.failObject(f, d.kind, err)
		}
		if d.kind == "" {
			r.scanned.Add(1)
			r.compliant.Add(1)
			r.sampleRead(false)
			return nil
		}
		if d.reason != "" {
			r.scanned.Add(1)
			r.skip(f, d.reason, d.note)
			r.sampleRead(false)
			return nil
		}
		r.sampleRead(true)
		if !r.fix {
			r.scanned.Add(1)
			f.Action = ActionWouldFix
			r.toFix.Add(1)
			r.record(f)
			return nil
		}
		if !budgeted {
			if !r.takeBudget() {
				r.remaining.Add(1)
				return nil
			}
			budgeted = true
		}
		reason, err := r.fixObject(ctx, key, head, d)
		if err != nil && !errors.Is(err, errFatal) && ctx.Err() != nil {
			// Interrupted by the end of the run, not failed: a re-run picks it up.
			r.remaining.Add(1)
			return context.Cause(ctx)
		}
		if err != nil && isPrecondition(err) {
			lastErr = err
			continue
		}
		if errors.Is(err, errGone) {
			r.gone.Add(1)
			return nil
		}
		r.scanned.Add(1)
		switch {
		case errors.Is(err, errFatal):
			f.Action, f.Err = ActionFailed, err.Error()
			r.toFix.Add(1)
			r.failed.Add(1)
			r.record(f)
			r.cancel(err)
			return err
		case err != nil:
			return r.failObject(f, d.kind, err)
		case reason != "":
			r.skip(f, reason, "")
		default:
			f.Action = ActionFixed
			r.toFix.Add(1)
			r.fixed.Add(1)
			r.consecutiveFailures.Store(0)
			r.record(f)
		}
		return nil
	}
	r.scanned.Add(1)
	return r.failObject(Finding{Key: key, Size: aws.ToInt64(obj.Size), ETag: aws.ToString(obj.ETag)}, KindSkipped,
		fmt.Errorf("the object kept changing while being re-encrypted (%d attempts): %w", maxAttempts, lastErr))
}

func (r *runner) head(ctx context.Context, key, versionID string) (*s3.HeadObjectOutput, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(r.t.Bucket), Key: aws.String(key)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	return r.c.HeadObject(ctx, in)
}

var errFatal = errors.New("run stopped")

func (r *runner) failObject(f Finding, kind string, err error) error {
	f.Kind, f.Action, f.Err = kind, ActionFailed, err.Error()
	if kind != KindSkipped && kind != "" {
		r.toFix.Add(1)
	}
	r.failed.Add(1)
	r.record(f)
	if n := r.consecutiveFailures.Add(1); n >= maxConsecutiveFailures {
		return fmt.Errorf("%w: %d objects in a row failed in bucket %s, the last %s: %v", errFatal, n, r.t.Bucket, f.Key, err)
	}
	return nil
}

func (r *runner) skip(f Finding, reason, note string) {
	f.Kind, f.Reason, f.Action, f.Err = KindSkipped, reason, ActionSkipped, note
	r.skipped.Add(1)
	r.record(f)
}

func (r *runner) record(f Finding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.Reason != "" {
		r.skippedBy[f.Reason]++
	} else if f.Kind != "" && f.Kind != KindSkipped {
		r.toFixBy[f.Kind]++
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

// countNoncurrent counts the noncurrent versions under the run's prefixes.
func (r *runner) countNoncurrent(ctx context.Context) (int, error) {
	n := 0
	for _, p := range r.t.prefixes() {
		in := &s3.ListObjectVersionsInput{Bucket: aws.String(r.t.Bucket), MaxKeys: aws.Int32(1000)}
		if p != "" {
			in.Prefix = aws.String(p)
		}
		pages := s3.NewListObjectVersionsPaginator(r.c, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return n, fmt.Errorf("list object versions in s3://%s/%s: %w", r.t.Bucket, p, err)
			}
			for _, v := range page.Versions {
				if !aws.ToBool(v.IsLatest) {
					n++
				}
			}
		}
	}
	return n, nil
}

func (r *runner) progress() Progress {
	p := Progress{
		Listed: int(r.listed.Load()), ListingDone: r.listingDone.Load(),
		Scanned: int(r.scanned.Load()), ToFix: int(r.toFix.Load()), Fixed: int(r.fixed.Load()),
		Failed: int(r.failed.Load()), Skipped: int(r.skipped.Load()), Elapsed: time.Since(r.start), ETA: -1,
	}
	if secs := p.Elapsed.Seconds(); secs > 0 {
		p.Rate = float64(p.Scanned) / secs
	}
	if p.ListingDone && p.Rate > 0 {
		left := p.Listed - p.Scanned - int(r.gone.Load()) - int(r.remaining.Load())
		if left < 0 {
			left = 0
		}
		p.ETA = time.Duration(float64(left) / p.Rate * float64(time.Second))
	}
	return p
}

func (r *runner) progressLoop(done <-chan struct{}, exited chan<- struct{}) {
	defer close(exited)
	if r.o.Progress == nil {
		return
	}
	tick := time.NewTicker(r.o.ProgressInterval)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			r.o.Progress(r.progress())
		}
	}
}

func (r *runner) summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Summary{
		Scanned: int(r.scanned.Load()), Compliant: int(r.compliant.Load()),
		ToFix: map[string]int{}, Skipped: map[string]int{},
		Fixed: int(r.fixed.Load()), Failed: int(r.failed.Load()), Gone: int(r.gone.Load()),
		Versioning: r.versioning, Remaining: int(r.remaining.Load()), RemainingAtLeast: r.remainingAtLeast.Load(),
		Sample: smallestKeys(append([]Finding(nil), r.sample...), r.o.SampleSize), Duration: time.Since(r.start),
		UpdateObjectEncryption: r.gate.String(),
	}
	for k, v := range r.toFixBy {
		s.ToFix[k] = v
	}
	for k, v := range r.skippedBy {
		s.Skipped[k] = v
	}
	if reason, ok := r.stopReason.Load().(string); ok {
		s.Stopped = reason
	}
	s.Requests, s.Retries = r.c.requests()
	return s
}

// smallestKeys sorts findings by key (then version id) and keeps the first n.
func smallestKeys(fs []Finding, n int) []Finding {
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].Key != fs[j].Key {
			return fs[i].Key < fs[j].Key
		}
		return fs[i].VersionID < fs[j].VersionID
	})
	if n < 0 {
		n = 0
	}
	if len(fs) > n {
		fs = fs[:n:n]
	}
	return fs
}
