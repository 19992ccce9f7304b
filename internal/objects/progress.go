package objects

import (
	"sort"
	"time"
)

// progress is a snapshot of the counters for Options.Progress, with the rate and, once the listing
// is done, the time left.
func (r *runner) progress() Progress {
	p := Progress{
		Listed: int(r.listed.Load()), ListingDone: r.listingDone.Load(),
		Scanned: int(r.scanned.Load()), ToFix: int(r.toFix.Load()), Fixed: int(r.fixed.Load()),
		Failed: int(r.failed.Load()), Skipped: int(r.skipped.Load()), Elapsed: time.Since(r.start), ETA: -1,
		Source: sourceLine(r.sourceOf()),
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

// progressLoop calls Options.Progress every ProgressInterval until done is closed, then closes
// exited.
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

// summary is the run's outcome so far.
func (r *runner) summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Summary{
		Scanned: int(r.scanned.Load()), Compliant: int(r.compliant.Load()),
		ToFix: map[string]int{}, Skipped: map[string]int{},
		Fixed: int(r.fixed.Load()), Failed: int(r.failed.Load()), Gone: int(r.gone.Load()),
		Versioning: r.versioning, Remaining: int(r.remaining.Load()), RemainingAtLeast: r.remainingAtLeast.Load(),
		Sample: smallestKeys(append([]Finding(nil), r.sample...), r.o.SampleSize), Duration: time.Since(r.start),
		UpdateObjectEncryption: r.gate.String(), Source: r.sourceOf(),
	}
	for k, v := range r.toFixBy {
		s.ToFix[k] = v
	}
	s.ToFixByClass = map[string]map[string]int{}
	for k, m := range r.toFixByClass {
		s.ToFixByClass[k] = map[string]int{}
		for c, v := range m {
			s.ToFixByClass[k][c] = v
		}
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
