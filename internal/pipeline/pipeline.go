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

// Pipeline holds what every stage needs to reach AWS. What one run does, with which options, and
// who hears of it is the run's Operation.
type Pipeline struct {
	// AWS gives the stages their clients. It is called on first use, so that a policy that does
	// not validate never reaches AWS (nor needs credentials); nil builds clients from the SDK's
	// default configuration and the policy's region.
	AWS func(ctx context.Context) (AWS, error)
	// VerifyFor is how long apply keeps reading the state back, with growing pauses, while a
	// change it made does not show yet: S3 documents bucket configuration as eventually
	// consistent. Zero means DefaultVerifyFor; negative reads back once.
	VerifyFor time.Duration
	// BatchClient, when set, answers the S3 Control client for a region (tests); nil builds one
	// from the SDK's default configuration when a bucket uses S3 Batch Operations.
	BatchClient func(ctx context.Context, region string) (batchops.API, error)

	// op is the run in progress (Run).
	op    Operation
	aws   AWS
	batch batchSide
}

// Operation is one run, as a front end describes it: the command line and the action each build
// one and hand it to Run (terraform's backendrun.Operation holds its options, Hooks and View the
// same way). Nothing else configures a run.
type Operation struct {
	// Mode says whether the run applies (plan.ModeApply) or only plans (plan.ModePlan).
	Mode plan.Mode
	// PolicyPath is the policy file.
	PolicyPath string
	// Options tune the run.
	Options Options
	// Hooks are called as the run goes.
	Hooks Hooks
	// View is where the run writes what it reports while it goes.
	View View
}

// Options tune a run.
type Options struct {
	// Objects tunes scanning and re-encrypting existing objects (concurrency, budget, ...).
	Objects objects.Options
	// RetryFailedBatch lets a bucket whose latest generation of Batch Operations jobs did not
	// finish cleanly start the next one (otherwise a blocker stops it).
	RetryFailedBatch bool
	// Prices prices the plan's cost estimates; nil means plan.DefaultPrices.
	Prices *plan.Prices
}

// Hooks are the functions a run calls as it goes; each may be nil.
type Hooks struct {
	// OnAccount is called with the caller's account id as soon as STS answers, before anything
	// else is read or printed (front ends redact it from then on).
	OnAccount func(string)
	// BeforeApply is called, applying, with the plan after it is computed and before any change
	// is made (the CLI prints it there).
	BeforeApply func(*plan.Plan)
	// Approve is called, applying, with the plan after BeforeApply and before any change is made;
	// an error (an *approval.Refusal when the plan is not the approved one) stops the apply with
	// nothing changed, and Run returns it with the plan and no result.
	Approve func(*plan.Plan) error
	// OnFinding receives every object that is not as required, as it is found (streamed: an
	// account's objects are never held in memory). Calls never overlap.
	OnFinding func(Finding)
}

// View is where a run writes while it goes.
type View struct {
	// Progress receives progress lines (apply's per-change lines, object scan progress); nil
	// discards them.
	Progress io.Writer
	// Findings, when set, receives every object finding too (in a temporary file), for the JSON
	// plan to list them all.
	Findings *FindingsFile
}

// Run runs op: it plans, and with plan.ModeApply applies the plan and verifies every change. It
// returns the plan and, applying, one result per change (nil for a plan). A Pipeline runs one
// operation at a time.
func (p *Pipeline) Run(ctx context.Context, op Operation) (*plan.Plan, []plan.Result, error) {
	p.op = op
	switch op.Mode {
	case plan.ModePlan:
		pl, err := p.plan(ctx, op.PolicyPath)
		return pl, nil, err
	case plan.ModeApply:
		return p.apply(ctx, op.PolicyPath)
	}
	return nil, nil, fmt.Errorf("unknown run mode %q", op.Mode)
}

// Validate reads and validates the policy file without any AWS call.
func (p *Pipeline) Validate(path string) (*policy.Policy, error) {
	return policy.Load(path)
}

// plan observes the account (every account the policy lists, each through its role) and computes
// the plan for the policy at path.
func (p *Pipeline) plan(ctx context.Context, path string) (*plan.Plan, error) {
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

// apply computes the plan, executes it, observes again and verifies every change. It returns
// the plan that was executed and one result per change. Over several accounts, every account is
// planned before anything is changed; an account that cannot be reached is a blocker for its own
// buckets and the others are applied.
func (p *Pipeline) apply(ctx context.Context, path string) (*plan.Plan, []plan.Result, error) {
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
	if h := p.op.Hooks; h.BeforeApply != nil {
		h.BeforeApply(pl)
	}
	if approve := p.op.Hooks.Approve; approve != nil {
		if err := approve(pl); err != nil {
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
	if p.op.View.Progress == nil {
		return io.Discard
	}
	return p.op.View.Progress
}

// observeAndPlan reads one account (c's) and plans its part of the policy.
func (p *Pipeline) observeAndPlan(ctx context.Context, c AWS, pol *policy.Policy, scans scanMode) (*plan.Plan, error) {
	o := observe.Options{HomeRegion: c.Region(), DeferReencrypt: scans == scanDeferred, OnAccount: p.op.Hooks.OnAccount,
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
		conc := p.op.Options.Objects.Concurrency
		if conc <= 0 {
			conc = objects.DefaultConcurrency
		}
		parts := p.op.Options.Objects.PartConcurrency
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
	on, ff := p.op.Hooks.OnFinding, p.op.View.Findings
	if ff != nil {
		on = func(f Finding) {
			if p.op.Hooks.OnFinding != nil {
				p.op.Hooks.OnFinding(f)
			}
			ff.Add(f)
		}
	}
	return &objectRunner{clients: c, keys: keys, opts: p.op.Options.Objects, log: p.log(), onFinding: on}
}
