package report

import (
	"encoding/json"
	"io"

	"github.com/sseguard/sseguard/internal/plan"
)

// FormatVersion is the version of the JSON plan's shape. Fields may be added without changing
// it; renaming or removing a field, or changing its meaning, bumps it.
const FormatVersion = "1"

// JSONPlan is the JSON document `--json FILE` writes.
type JSONPlan struct {
	FormatVersion string `json:"format_version"`
	// Mode is "plan" or "apply".
	Mode    string        `json:"mode"`
	Summary JSONSummary   `json:"summary"`
	Plan    *plan.Plan    `json:"plan"`
	Results []plan.Result `json:"results,omitempty"`
}

// JSONSummary is the counts at a glance.
type JSONSummary struct {
	InSync   bool `json:"in_sync"`
	Buckets  int  `json:"buckets"`
	Changes  int  `json:"changes"`
	Blockers int  `json:"blockers"`
	Warnings int  `json:"warnings"`
	Applied  int  `json:"applied"`
	Failed   int  `json:"failed"`
}

// JSON writes the plan (and apply results, if any) as an indented JSON document.
func JSON(w io.Writer, mode string, p *plan.Plan, results []plan.Result) error {
	doc := JSONPlan{FormatVersion: FormatVersion, Mode: mode, Plan: p, Results: results,
		Summary: JSONSummary{InSync: p.InSync(), Buckets: len(p.Buckets), Changes: len(p.Changes),
			Blockers: len(p.Blockers), Warnings: len(p.Warnings)}}
	for _, r := range results {
		switch r.Outcome {
		case plan.Done:
			doc.Summary.Applied++
		case plan.Failed, plan.Unverified:
			doc.Summary.Failed++
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
