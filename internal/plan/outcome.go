package plan

// Tally counts an apply's results by outcome. It is the one count of outcomes every view (text,
// summary, JSON, action outputs, exit codes) uses.
type Tally struct {
	Done, Failed, Unverified, Skipped, Unchanged int
}

// TallyOf counts results.
func TallyOf(results []Result) Tally {
	var t Tally
	for _, r := range results {
		switch r.Outcome {
		case Done:
			t.Done++
		case Failed:
			t.Failed++
		case Unverified:
			t.Unverified++
		case Skipped:
			t.Skipped++
		case Unchanged:
			t.Unchanged++
		}
	}
	return t
}

// NotDone counts the changes that were needed and did not take: failed, unverified or skipped.
func (t Tally) NotDone() int { return t.Failed + t.Unverified + t.Skipped }

// Needed returns the plan's changes the account needed: all of them when planning (results nil),
// less those apply found had nothing to do (a re-encryption whose scan found every object right).
func (p *Plan) Needed(results []Result) []Change {
	unchanged := map[string]bool{}
	for _, r := range results {
		if r.Outcome == Unchanged {
			unchanged[r.ChangeID] = true
		}
	}
	var out []Change
	for _, c := range p.Changes {
		if !unchanged[c.ID] {
			out = append(out, c)
		}
	}
	return out
}

// InSyncWith reports whether the account matched the policy: no blocker, and no change needed
// (with apply's results, a change that turned out to have nothing to do is not needed).
func (p *Plan) InSyncWith(results []Result) bool {
	return len(p.Blockers) == 0 && len(p.Needed(results)) == 0
}

// BucketInSync reports whether a bucket row needed nothing, given apply's results.
func (p *Plan) BucketInSync(b BucketStatus, results []Result) bool {
	if b.Status != Drift {
		return b.Status == InSync
	}
	unchanged := map[string]bool{}
	for _, r := range results {
		if r.Outcome == Unchanged {
			unchanged[r.ChangeID] = true
		}
	}
	for _, id := range b.Changes {
		if !unchanged[id] {
			return false
		}
	}
	return true
}

// The exit codes of a run, as terraform's -detailed-exitcode: the CLI and the action share them.
const (
	// ExitOK: in sync, a plan without -detailed-exitcode, or everything applied.
	ExitOK = 0
	// ExitError: an error, an invalid policy, a blocker, or a change not done (failed,
	// unverified, skipped).
	ExitError = 1
	// ExitDrift: changes are pending (a plan with -detailed-exitcode).
	ExitDrift = 2
)

// Mode is what a run does: plan only, or plan and then apply. The pipeline runs by it, and every
// view (text, summary, annotations, JSON, pull request comment) and the exit code read it.
type Mode string

// The run modes.
const (
	// ModePlan reads the account and computes the plan; nothing is changed.
	ModePlan Mode = "plan"
	// ModeApply plans, applies the plan, and reads the account back to verify each change.
	ModeApply Mode = "apply"
)

// Applies reports whether a run of mode m changes anything.
func (m Mode) Applies() bool { return m == ModeApply }

// ExitOptions are what decides a run's exit code besides its plan and results.
type ExitOptions struct {
	// Mode is the run's: an apply exits by its results, a plan by what is pending.
	Mode Mode
	// Detailed makes a plan with changes pending exit ExitDrift (-detailed-exitcode).
	Detailed bool
	// FailOnDrift makes a plan with changes pending an error (the action's fail-on-drift).
	FailOnDrift bool
}

// Exit is the exit code of a run: results nil for a plan. A blocker is an error; an apply fails
// when a change was not done; a plan with changes pending is an error with FailOnDrift, ExitDrift
// when Detailed.
func Exit(p *Plan, results []Result, o ExitOptions) int {
	applying := o.Mode.Applies()
	switch {
	case len(p.Blockers) > 0:
		return ExitError
	case applying && TallyOf(results).NotDone() > 0:
		return ExitError
	case !applying && len(p.Needed(nil)) > 0 && o.FailOnDrift:
		return ExitError
	case !applying && len(p.Needed(nil)) > 0 && o.Detailed:
		return ExitDrift
	}
	return ExitOK
}
