package objects

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// counts are the per-object counters, as Progress and Summary show them.
type counts struct {
	Scanned, Compliant, ToFix, Fixed, Failed, Skipped, Gone, Remaining int
	ToFixBy, SkippedBy                                                 map[string]int
}

func countsOf(r *runner) counts {
	p, s := r.progress(), r.summary()
	if p.Scanned != s.Scanned || p.Fixed != s.Fixed || p.Failed != s.Failed {
		return counts{Scanned: -1} // Progress and Summary disagree
	}
	return counts{s.Scanned, s.Compliant, p.ToFix, s.Fixed, s.Failed, p.Skipped, s.Gone, s.Remaining, s.ToFix, s.Skipped}
}

func newTallyRunner(onFinding func(Finding)) *runner {
	return &runner{
		c: newClient(&fake{}, Options{}, ""), gate: newGate(false), stopCh: make(chan struct{}),
		o:       Options{SampleSize: DefaultSampleSize, OnFinding: onFinding},
		toFixBy: map[string]int{}, skippedBy: map[string]int{},
	}
}

func TestTallyCountsEachOutcomeOnce(t *testing.T) {
	t.Parallel()
	none := map[string]int{}
	for name, tc := range map[string]struct {
		o          outcome
		f          Finding
		want       counts
		wantAction string // "" when no finding is recorded
	}{
		"not examined": {outNotExamined, Finding{}, counts{Remaining: 1, ToFixBy: none, SkippedBy: none}, ""},
		"gone":         {outGone, Finding{}, counts{Gone: 1, ToFixBy: none, SkippedBy: none}, ""},
		"compliant":    {outCompliant, Finding{Key: "k"}, counts{Scanned: 1, Compliant: 1, ToFixBy: none, SkippedBy: none}, ""},
		"would fix": {outWouldFix, Finding{Key: "k", Kind: KindSSES3},
			counts{Scanned: 1, ToFix: 1, ToFixBy: map[string]int{KindSSES3: 1}, SkippedBy: none}, ActionWouldFix},
		"fixed": {outFixed, Finding{Key: "k", Kind: KindUnread},
			counts{Scanned: 1, ToFix: 1, Fixed: 1, ToFixBy: map[string]int{KindUnread: 1}, SkippedBy: none}, ActionFixed},
		"skipped": {outSkipped, Finding{Key: "k", Kind: KindSkipped, Reason: ReasonSSEC},
			counts{Scanned: 1, Skipped: 1, ToFixBy: none, SkippedBy: map[string]int{ReasonSSEC: 1}}, ActionSkipped},
		"failed to fix": {outFailed, Finding{Key: "k", Kind: KindOtherKMSKey},
			counts{Scanned: 1, ToFix: 1, Failed: 1, ToFixBy: map[string]int{KindOtherKMSKey: 1}, SkippedBy: none}, ActionFailed},
		"failed to read": {outFailed, Finding{Key: "k", Kind: KindSkipped},
			counts{Scanned: 1, Failed: 1, ToFixBy: none, SkippedBy: none}, ActionFailed},
		"fatal": {outFatal, Finding{Key: "k", Kind: KindSSES3},
			counts{Scanned: 1, ToFix: 1, Failed: 1, ToFixBy: map[string]int{KindSSES3: 1}, SkippedBy: none}, ActionFailed},
	} {
		var seen []Finding
		r := newTallyRunner(func(f Finding) { seen = append(seen, f) })
		if err := r.tally(tc.o, tc.f); err != nil {
			t.Errorf("%s: tally: %v", name, err)
		}
		if diff := cmp.Diff(tc.want, countsOf(r)); diff != "" {
			t.Errorf("%s: counts (-want +got):\n%s", name, diff)
		}
		switch {
		case tc.wantAction == "" && len(seen) != 0:
			t.Errorf("%s: recorded %+v; want no finding", name, seen)
		case tc.wantAction != "" && (len(seen) != 1 || seen[0].Action != tc.wantAction || seen[0].Key != tc.f.Key):
			t.Errorf("%s: recorded %+v; want one finding for %q with action %s", name, seen, tc.f.Key, tc.wantAction)
		}
	}
}

func TestTallyStopsARunOfFailures(t *testing.T) {
	t.Parallel()
	r := newTallyRunner(nil)
	fail := Finding{Key: "k", Kind: KindSSES3, Err: "AccessDenied"}
	for i := 1; i < maxConsecutiveFailures; i++ {
		if err := r.tally(outFailed, fail); err != nil {
			t.Fatalf("failure %d stopped the run: %v", i, err)
		}
	}
	// A fix in between starts the count again; a fatal failure is not counted in the run.
	if err := r.tally(outFixed, Finding{Key: "k", Kind: KindSSES3}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < maxConsecutiveFailures; i++ {
		if err := r.tally(outFailed, fail); err != nil {
			t.Fatalf("failure %d after a fix stopped the run: %v", i, err)
		}
	}
	if err := r.tally(outFatal, fail); err != nil {
		t.Fatalf("a fatal failure's tally returned %v; handle stops the run for it", err)
	}
	err := r.tally(outFailed, fail)
	if !errors.Is(err, errFatal) {
		t.Fatalf("failure %d in a row: %v; want the run stopped", maxConsecutiveFailures, err)
	}
}
