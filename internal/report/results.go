package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/sanitize"
)

// ResultLine renders one change's result on one line, as apply prints it while it goes:
// "done       set-default-encryption/media-hls", then what was done or the error.
func ResultLine(r plan.Result) string {
	line := fmt.Sprintf("%-10s %s", r.Outcome, r.ChangeID)
	if r.Detail != "" {
		line += ": " + r.Detail
	}
	if r.Error != "" {
		line += ": " + r.Error
	}
	return sanitize.Line(line)
}

// ApplyVerdict is an apply's one-line summary, counted once (plan.TallyOf) for every view:
// "3 applied, 1 failed, 1 blocker (4 buckets in the policy)." or, when the account needed
// nothing, the in-sync verdict. failed says whether a change did not take.
func ApplyVerdict(p *plan.Plan, results []plan.Result) (verdict string, failed bool) {
	t := plan.TallyOf(results)
	if p.InSyncWith(results) {
		return "In sync, nothing to apply: " + bucketsMatch(len(p.Buckets)), false
	}
	var parts []string
	if t.Done > 0 || len(p.Needed(results)) > 0 {
		parts = append(parts, fmt.Sprintf("%d applied", t.Done))
	}
	for _, c := range []struct {
		n    int
		what string
	}{{t.Failed, "failed"}, {t.Unverified, "unverified"}, {t.Skipped, "skipped"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if k := len(p.Blockers); k > 0 {
		parts = append(parts, Plural(k, "blocker", "blockers"))
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(" (%s in the policy).", Plural(len(p.Buckets), "bucket", "buckets")), t.Failed+t.Unverified > 0
}

// bucketsMatch is "1 bucket matches the policy." / "3 buckets match the policy.".
func bucketsMatch(n int) string {
	if n == 1 {
		return "1 bucket matches the policy."
	}
	return fmt.Sprintf("%d buckets match the policy.", n)
}

// objectsOf returns a bucket's object counts: the re-encryption's, when apply made one, else the
// plan's scan.
func objectsOf(b plan.BucketStatus, results []plan.Result) *plan.ObjectCounts {
	for _, r := range results {
		if r.Objects != nil && r.ChangeID == string(plan.ReencryptObjects)+"/"+b.Name {
			return r.Objects
		}
	}
	return b.Objects
}
