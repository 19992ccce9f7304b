package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
)

// The levels of an annotation, as GitHub's workflow commands name them.
const (
	LevelError   = "error"
	LevelWarning = "warning"
	LevelNotice  = "notice"
)

// MaxAnnotations is how many annotations one run emits at most. GitHub shows ten errors and ten
// warnings per step and drops the rest; past the limit, the rest are folded into one.
const MaxAnnotations = 10

// Annotation is a message GitHub shows on a line of a file, and so on a pull request's diff.
type Annotation struct {
	// Level is LevelError, LevelWarning or LevelNotice.
	Level string
	// File is relative to the repository root; that is what GitHub matches against the diff.
	File string
	// Line and Column are 1-based; 0 means the whole file (or the whole line).
	Line   int
	Column int
	Title  string
	// Message is plain text on one line.
	Message string
}

// Annotations returns one annotation per blocked or drifted bucket, at its line in the policy
// file, plus one per blocker that belongs to no bucket and one per warning, at most MaxAnnotations
// in all (see Aggregate). file is the policy's path relative to the repository root.
//
// A blocked bucket is an error. A drifted bucket is an error too, not a warning: the account does
// not do what the reviewed policy says, and an error is what makes that stand out on the diff.
// An annotation does not fail the step by itself; the exit code does (fail-on-drift).
func Annotations(p *plan.Plan, file string) []Annotation {
	return annotations(p, nil, file)
}

// ApplyAnnotations is Annotations after an apply: a drifted bucket is annotated only when one of
// its changes was not done (failed, unverified or skipped), with each change's error; a bucket
// whose changes all took gets none. Blocked buckets and warnings are annotated as in Annotations.
func ApplyAnnotations(p *plan.Plan, results []plan.Result, file string) []Annotation {
	byID := map[string]plan.Result{}
	for _, r := range results {
		byID[r.ChangeID] = r
	}
	return annotations(p, byID, file)
}

// annotations annotates a plan, or an applied plan when results is not nil.
func annotations(p *plan.Plan, results map[string]plan.Result, file string) []Annotation {
	return Aggregate(findings(p, results, file), MaxAnnotations)
}

// notAnnotated is what Aggregate folds into its last annotation: the findings GitHub would not
// show one by one. The job summary lists them.
func notAnnotated(p *plan.Plan, results map[string]plan.Result, file string) []Annotation {
	all := findings(p, results, file)
	if len(all) <= MaxAnnotations {
		return nil
	}
	return all[MaxAnnotations-1:]
}

// findings is every annotation of a plan (or an applied plan when results is not nil), most
// important first, so that aggregation folds the least important: blockers, then drift, then
// warnings, each in policy order.
func findings(p *plan.Plan, results map[string]plan.Result, file string) []Annotation {
	changes := make(map[string]plan.Change, len(p.Changes))
	for _, c := range p.Changes {
		changes[c.ID] = c
	}
	var blocked, drift, warnings []Annotation
	for _, bs := range p.Buckets {
		if bs.Status == plan.Drift && results != nil {
			if a, ok := annApplied(bs, results, file); ok {
				drift = append(drift, a)
			}
			continue
		}
		switch bs.Status {
		case plan.Blocked:
			var msgs []string
			for _, bl := range p.Blockers {
				if bl.Bucket == bs.Name {
					msgs = append(msgs, fmt.Sprintf("[%s] %s.", bl.Code, strings.TrimSuffix(bl.Message, ".")))
				}
			}
			if len(msgs) == 0 {
				msgs = append(msgs, "A blocker stops every change (see the job summary).")
			}
			blocked = append(blocked, Annotation{Level: LevelError, File: file, Line: bs.Line,
				Title:   annClean("sseguard: bucket " + bs.Name + " is blocked"),
				Message: annClean(strings.Join(msgs, " ") + " Nothing is changed for this bucket.")})
		case plan.Drift:
			var what []string
			for _, id := range bs.Changes {
				if c, ok := changes[id]; ok {
					what = append(what, fmt.Sprintf("%s (%s → %s)", c.Kind, annOr(c.Before), annOr(c.After)))
				} else {
					what = append(what, id)
				}
			}
			drift = append(drift, Annotation{Level: LevelError, File: file, Line: bs.Line,
				Title: annClean("sseguard: bucket " + bs.Name + " differs from the policy"),
				Message: annClean(fmt.Sprintf("Required %s, observed %s. To apply: %s.",
					annOr(bs.Required), annOr(bs.Observed), strings.Join(what, "; ")))})
		}
	}
	for _, bl := range p.Blockers {
		if bl.Bucket != "" {
			continue
		}
		blocked = append(blocked, Annotation{Level: LevelError, File: file, Line: bl.Line,
			Title: annClean("sseguard: " + bl.Code), Message: annClean(bl.Message)})
	}
	for _, w := range p.Warnings {
		warnings = append(warnings, Annotation{Level: LevelWarning, File: file, Line: w.Line,
			Title: annClean("sseguard: " + w.Code), Message: annClean(w.Message)})
	}
	var out []Annotation
	for _, group := range [][]Annotation{blocked, drift, warnings} {
		sort.SliceStable(group, func(i, j int) bool { return group[i].Line < group[j].Line })
		out = append(out, group...)
	}
	return out
}

// annApplied annotates a drifted bucket after apply, when any of its changes did not take.
func annApplied(bs plan.BucketStatus, results map[string]plan.Result, file string) (Annotation, bool) {
	var bad []string
	level := LevelWarning
	for _, id := range bs.Changes {
		r, ok := results[id]
		switch {
		case !ok:
			bad = append(bad, id+": not attempted")
		case r.Outcome == plan.Done:
			continue
		case r.Outcome == plan.Failed || r.Outcome == plan.Unverified:
			level = LevelError
			bad = append(bad, fmt.Sprintf("%s %s: %s", id, r.Outcome, strings.TrimSuffix(annOr(r.Error), ".")))
		default:
			msg := fmt.Sprintf("%s %s", id, r.Outcome)
			if r.Detail != "" {
				msg += ": " + strings.TrimSuffix(r.Detail, ".")
			}
			bad = append(bad, msg)
		}
	}
	if len(bad) == 0 {
		return Annotation{}, false
	}
	return Annotation{Level: level, File: file, Line: bs.Line,
		Title:   annClean("sseguard: bucket " + bs.Name + " was not fully applied"),
		Message: annClean(strings.Join(bad, "; ") + ".")}, true
}

// Aggregate keeps the first limit-1 annotations and folds the rest into one, at the first folded
// line, at the most severe folded level, saying that the job summary lists them and where the
// first few are. anns should be sorted by importance.
func Aggregate(anns []Annotation, limit int) []Annotation {
	if limit < 1 || len(anns) <= limit {
		return anns
	}
	keep, rest := anns[:limit-1], anns[limit-1:]
	agg := Annotation{Level: LevelNotice, File: rest[0].File, Line: rest[0].Line,
		Title: fmt.Sprintf("sseguard: %d more findings, listed in the job summary", len(rest))}
	var where []string
	for i, a := range rest {
		if annRank(a.Level) < annRank(agg.Level) {
			agg.Level = a.Level
		}
		if i == 20 {
			where = append(where, fmt.Sprintf("and %d more", len(rest)-i))
			break
		}
		where = append(where, fmt.Sprintf("line %d: %s", a.Line, strings.TrimPrefix(a.Title, "sseguard: ")))
	}
	// The pointer to the summary comes first: annClean cuts long messages.
	agg.Message = annClean(fmt.Sprintf("GitHub limits annotations per step: the job summary lists these %d findings. The first of them: %s.",
		len(rest), strings.Join(where, "; ")))
	return append(append([]Annotation(nil), keep...), agg)
}

func annRank(level string) int {
	switch level {
	case LevelError:
		return 0
	case LevelWarning:
		return 1
	}
	return 2
}

func annOr(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// annMaxRunes keeps one annotation readable; the job summary has the rest.
const annMaxRunes = 1000

// annClean keeps an annotation on one line: control characters (which could otherwise end the
// workflow command and start another) are shown escaped, and long text is cut.
func annClean(s string) string {
	var b strings.Builder
	for i, r := range []rune(s) {
		if i == annMaxRunes {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			fmt.Fprintf(&b, `\x%02x`, r)
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			fmt.Fprintf(&b, `\u{%04X}`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
