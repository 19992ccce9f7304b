// Package pipeline runs sseguard's stages in order for one policy file: validate, observe, plan,
// and for apply, execute and then observe again to verify each change took.
package pipeline

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sseguard/sseguard/internal/apply"
	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/batchops"
	"github.com/sseguard/sseguard/internal/objects"
	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/report"
)

// Pipeline holds what every stage needs.
type Pipeline struct {
	// AWS gives the stages their clients. It is called on first use, so that a policy that does
	// not validate never reaches AWS (nor needs credentials); nil builds clients from the SDK's
	// default configuration and the policy's region.
	AWS func(ctx context.Context) (AWS, error)
	// Log receives progress lines (apply's per-change lines).
	Log io.Writer
	// BeforeApply, when set, is called with the plan after it is computed and before any change
	// is made (the CLI prints it there).
	BeforeApply func(*plan.Plan)
	// Approve, when set, is called with the plan after BeforeApply and before any change is made;
	// an error (an *approval.Refusal when the plan is not the approved one) stops the apply with
	// nothing changed, and Apply returns it with the plan and no result.
	Approve func(*plan.Plan) error
	// OnAccount, when set, is called with the caller's account id as soon as STS answers.
	OnAccount func(string)
	// Objects tunes scanning and re-encrypting existing objects (concurrency, budget, ...).
	Objects objects.Options
	// OnFinding, when set, receives every object that is not as required, as it is found
	// (streamed: an account's objects are never held in memory). Calls never overlap.
	OnFinding func(Finding)
	// Findings, when set, receives every finding too (in a temporary file), for ObjectFindings.
	Findings *FindingsFile
	// VerifyFor is how long apply keeps reading the state back, with growing pauses, while a
	// change it made does not show yet: S3 documents bucket configuration as eventually
	// consistent. Zero means DefaultVerifyFor; negative reads back once.
	VerifyFor time.Duration
	// BatchClient, when set, answers the S3 Control client for a region (tests); nil builds one
	// from the SDK's default configuration when a bucket uses S3 Batch Operations.
	BatchClient func(ctx context.Context, region string) (batchops.API, error)
	// RetryFailedBatch lets a bucket whose latest generation of Batch Operations jobs did not
	// finish cleanly start the next one (otherwise a blocker stops it).
	RetryFailedBatch bool
	// Prices prices the plan's cost estimates; nil means plan.DefaultPrices.
	Prices *plan.Prices

	aws   AWS
	batch batchSide
}

// SetProgressLog sets where progress lines go (the action routes them through its sanitizing log).
func (p *Pipeline) SetProgressLog(w io.Writer) { p.Log = w }

// SetBeforeApply sets the function called with the plan before apply changes anything.
func (p *Pipeline) SetBeforeApply(f func(*plan.Plan)) { p.BeforeApply = f }

// SetApprove sets the function that decides, with the plan computed and before any change, whether
// it may be applied (the action compares it with the plan approved on the pull request).
func (p *Pipeline) SetApprove(f func(*plan.Plan) error) { p.Approve = f }

// SetOnAccount sets the function called with the caller's account id as soon as it is known,
// before anything else is read (the action masks and redacts it from then on).
func (p *Pipeline) SetOnAccount(f func(string)) { p.OnAccount = f }

// SetObjectOptions replaces the options for scanning and re-encrypting existing objects.
func (p *Pipeline) SetObjectOptions(o objects.Options) {
	if o.UpdateObjectEncryption == "" {
		o.UpdateObjectEncryption = p.Objects.UpdateObjectEncryption
	}
	p.Objects = o
}

// SetBatchOptions sets the Batch Operations options: a retry after a generation that did not
// finish cleanly, and the price table (nil: the default).
func (p *Pipeline) SetBatchOptions(retryFailed bool, prices *plan.Prices) {
	p.RetryFailedBatch, p.Prices = retryFailed, prices
}

// ObjectFindings returns every object finding of the run so far, one JSON value per line, when
// the pipeline's OnFinding is a FindingsFile's Add; nil otherwise.
func (p *Pipeline) ObjectFindings() (io.Reader, error) {
	if p.Findings == nil {
		return nil, nil
	}
	return p.Findings.Reader()
}

// Validate reads and validates the policy file without any AWS call.
func (p *Pipeline) Validate(path string) (*policy.Policy, error) {
	return policy.Load(path)
}

// Plan observes the account (every account the policy lists, each through its role) and computes
// the plan for the policy at path.
func (p *Pipeline) Plan(ctx context.Context, path string) (*plan.Plan, error) {
	pol, err := policy.Load(path)
	if err != nil {
		return nil, err
	}
	runs, err := p.accountRuns(ctx, pol, false)
	if err != nil {
		return nil, err
	}
	for i := range runs {
		r := &runs[i]
		if r.plan != nil {
			continue // unreachable
		}
		if r.plan, err = p.observeAndPlan(ctx, r.c, r.pol, scanAll); err != nil {
			return nil, r.wrap(err)
		}
	}
	return merge(pol, runs), nil
}

// scanMode says which existing-object scans an observation makes.
type scanMode int

const (
	scanAll      scanMode = iota // report and reencrypt buckets (plan)
	scanDeferred                 // report buckets; reencrypt buckets are scanned by apply's fix
	scanNone                     // none (reading back after apply)
)

// Apply computes the plan, executes it, observes again and verifies every change. It returns
// the plan that was executed and one result per change. Over several accounts, every account is
// planned before anything is changed; an account that cannot be reached is a blocker for its own
// buckets and the others are applied.
func (p *Pipeline) Apply(ctx context.Context, path string) (*plan.Plan, []plan.Result, error) {
	pol, err := policy.Load(path)
	if err != nil {
		return nil, nil, err
	}
	runs, err := p.accountRuns(ctx, pol, true)
	if err != nil {
		return nil, nil, err
	}
	// Apply writes what it learns of Batch Operations jobs into the buckets' records.
	p.batch.remember = true
	for i := range runs {
		r := &runs[i]
		if r.plan != nil {
			continue
		}
		if r.plan, err = p.observeAndPlan(ctx, r.c, r.pol, scanDeferred); err != nil {
			return nil, nil, r.wrap(err)
		}
	}
	pl := merge(pol, runs)
	if p.BeforeApply != nil {
		p.BeforeApply(pl)
	}
	if p.Approve != nil {
		if err := p.Approve(pl); err != nil {
			return pl, []plan.Result{}, err
		}
	}
	if len(pl.Changes) == 0 {
		return pl, []plan.Result{}, nil
	}
	results := []plan.Result{}
	for _, r := range runs {
		if r.c == nil || len(r.plan.Changes) == 0 {
			continue
		}
		rs, err := p.applyAccount(ctx, r)
		// Results name changes as the merged plan does.
		for _, res := range rs {
			if len(pol.Accounts) > 0 && r.plan.Account != pl.Account {
				res.ChangeID = plan.QualifyID(r.plan.Account, res.ChangeID)
			}
			results = append(results, res)
		}
		if err != nil {
			return pl, results, r.wrap(err)
		}
	}
	return pl, results, nil
}

// applyAccount executes one account's plan with its clients, then reads the account back and
// verifies every change.
func (p *Pipeline) applyAccount(ctx context.Context, r accountRun) ([]plan.Result, error) {
	c, pl, pol := r.c, r.plan, r.pol
	role, err := applyRole(ctx, r)
	if err != nil {
		return nil, err
	}
	runner := p.objectRunner(c, observe.New(c.Observe(), observe.Options{}))
	runner.owner = pl.Account
	log := p.log()
	a := &apply.Applier{Clients: c.Apply(), Objects: runner, Owner: pl.Account, Batch: p.batchStarter(ctx, c, pl.Account), ApplyRole: role,
		// Each result is rendered once, by package report, as it happens.
		OnResult: func(_ plan.Change, r plan.Result) { fmt.Fprintln(log, report.ResultLine(r)) }}
	// The plan stays the plan that was computed; what apply found and did is in the results
	// beside it (a re-encryption that found nothing to fix is Unchanged, with its counts).
	results := a.Apply(ctx, pl)

	// Read everything back with a fresh observer (no cached keys) and plan again: a change that
	// was done must not be needed any more. Objects were verified by the fix itself, object by
	// object, and are not scanned again. A change that does not show yet is read again after a
	// pause: S3 documents bucket configuration as eventually consistent.
	wait := p.VerifyFor
	if wait == 0 {
		wait = DefaultVerifyFor
	}
	deadline := time.Now().Add(wait)
	pause := time.Second
	for {
		after, err := p.observeAndPlan(ctx, c, pol, scanNone)
		if err != nil {
			return results, fmt.Errorf("applied, but could not read the state back to verify: %w", err)
		}
		checked := append([]plan.Result(nil), results...)
		if plan.Verify(checked, after) == 0 || time.Now().Add(pause).After(deadline) {
			return checked, nil
		}
		fmt.Fprintf(p.log(), "  not visible yet when read back; reading again in %s\n", pause)
		select {
		case <-ctx.Done():
			return checked, nil
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// DefaultVerifyFor is how long apply waits at most for its changes to show when read back.
const DefaultVerifyFor = 30 * time.Second

func (p *Pipeline) log() io.Writer {
	if p.Log == nil {
		return io.Discard
	}
	return p.Log
}

// observeAndPlan reads one account (c's) and plans its part of the policy.
func (p *Pipeline) observeAndPlan(ctx context.Context, c AWS, pol *policy.Policy, scans scanMode) (*plan.Plan, error) {
	o := observe.Options{HomeRegion: c.Region(), DeferReencrypt: scans == scanDeferred, OnAccount: p.OnAccount,
		// Reading back after apply verifies changes; buckets the policy does not name had none.
		SkipUnmanaged: scans == scanNone,
		// A bucket that may go to Batch Operations is not read object by object: engine auto
		// weighs a bounded listing instead (planWithBatch).
		DeferScan: usesBatch}
	var runner *objectRunner
	if scans != scanNone {
		runner = p.objectRunner(c, nil)
		runner.trusted = pol.TrustedAccounts
		o.Scanner = runner
	}
	ob := observe.New(c.Observe(), o)
	if runner != nil {
		// Object key ids resolve through the observer's cache: each key is described once.
		runner.keys = ob
	}
	st, err := ob.Observe(ctx, pol)
	if err != nil {
		return nil, err
	}
	if scans == scanNone {
		// Reading back: re-encryptions are not verified by planning again.
		return plan.Compute(pol, st), nil
	}
	return p.planWithBatch(ctx, c, runner, pol, st)
}

func (p *Pipeline) awsClients(ctx context.Context, pol *policy.Policy) (AWS, error) {
	if p.aws != nil {
		return p.aws, nil
	}
	var (
		c   AWS
		err error
	)
	if p.AWS != nil {
		c, err = p.AWS(ctx)
	} else {
		// The connection pool matches the objects in flight plus the parts of one large copy.
		conc := p.Objects.Concurrency
		if conc <= 0 {
			conc = objects.DefaultConcurrency
		}
		parts := p.Objects.PartConcurrency
		if parts <= 0 {
			parts = objects.DefaultPartConcurrency
		}
		var sdk *awsclient.Clients
		sdk, err = awsclient.New(ctx, awsclient.Options{Region: pol.Region, MaxConns: conc + parts})
		if err == nil {
			c = FromClients(sdk)
		}
	}
	if err != nil {
		return nil, err
	}
	p.aws = c
	return c, nil
}

func (p *Pipeline) objectRunner(c AWS, keys objects.KeyResolver) *objectRunner {
	log := p.Log
	if log == nil {
		log = io.Discard
	}
	on := p.OnFinding
	if p.Findings != nil {
		on = func(f Finding) {
			if p.OnFinding != nil {
				p.OnFinding(f)
			}
			p.Findings.Add(f)
		}
	}
	return &objectRunner{clients: c, keys: keys, opts: p.Objects, log: log, onFinding: on}
}
