package plan

import "testing"

func TestTallyAndExit(t *testing.T) {
	t.Parallel()
	changes := []Change{{ID: "a"}, {ID: "b"}}
	blocked := &Plan{Changes: changes, Blockers: []Blocker{{Code: BlockBucketMissing}}}
	drift := &Plan{Changes: changes, Buckets: []BucketStatus{{Name: "x", Status: Drift, Changes: []string{"a", "b"}}}}
	clean := &Plan{}
	done := []Result{{ChangeID: "a", Outcome: Done}, {ChangeID: "b", Outcome: Done}}
	nothing := []Result{{ChangeID: "a", Outcome: Unchanged}, {ChangeID: "b", Outcome: Unchanged}}
	oneFailed := []Result{{ChangeID: "a", Outcome: Failed}, {ChangeID: "b", Outcome: Skipped}}
	unverified := []Result{{ChangeID: "a", Outcome: Done}, {ChangeID: "b", Outcome: Unverified}}
	for name, tc := range map[string]struct {
		p                           *Plan
		results                     []Result
		applying, detailed, onDrift bool
		want                        int
		inSync                      bool
	}{
		"plan in sync":                     {p: clean, detailed: true, want: ExitOK, inSync: true},
		"plan with changes":                {p: drift, want: ExitOK},
		"plan with changes, detailed":      {p: drift, detailed: true, want: ExitDrift},
		"plan with changes, fail on drift": {p: drift, detailed: true, onDrift: true, want: ExitError},
		"plan with a blocker":              {p: blocked, detailed: true, want: ExitError},
		"apply, all done":                  {p: drift, results: done, applying: true, want: ExitOK},
		"apply, nothing needed":            {p: drift, results: nothing, applying: true, onDrift: true, want: ExitOK, inSync: true},
		"apply, one failed one skipped":    {p: drift, results: oneFailed, applying: true, want: ExitError},
		"apply, one unverified":            {p: drift, results: unverified, applying: true, want: ExitError},
		"apply with a blocker":             {p: blocked, results: done, applying: true, want: ExitError},
	} {
		mode := ModePlan
		if tc.applying {
			mode = ModeApply
		}
		if got := Exit(tc.p, tc.results, ExitOptions{Mode: mode, Detailed: tc.detailed, FailOnDrift: tc.onDrift}); got != tc.want {
			t.Errorf("%s: Exit = %d, want %d", name, got, tc.want)
		}
		if got := tc.p.InSyncWith(tc.results); got != tc.inSync {
			t.Errorf("%s: InSyncWith = %v, want %v", name, got, tc.inSync)
		}
	}
	if tl := TallyOf(append(oneFailed, unverified...)); tl != (Tally{Done: 1, Failed: 1, Skipped: 1, Unverified: 1}) || tl.NotDone() != 3 {
		t.Errorf("tally = %+v", tl)
	}
	if !drift.BucketInSync(drift.Buckets[0], nothing) || drift.BucketInSync(drift.Buckets[0], done) {
		t.Error("a drifted bucket whose changes all had nothing to do is in sync; one whose changes were done is not")
	}
}
