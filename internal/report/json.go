package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
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
	return JSONWithObjects(w, mode, p, results, nil)
}

// JSONWithObjects writes the JSON document with an "objects" array copied from objects, a
// stream of JSON values one per line (every object found not as required). The stream is
// copied line by line, so an account's millions of objects are never held in memory.
func JSONWithObjects(w io.Writer, mode string, p *plan.Plan, results []plan.Result, objects io.Reader) error {
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
	head, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if objects == nil {
		_, err = w.Write(append(head, '\n'))
		return err
	}
	bw := bufio.NewWriter(w)
	// Reopen the document's closing brace to append the streamed array.
	bw.Write(bytes.TrimSuffix(bytes.TrimSpace(head), []byte("}")))
	bw.WriteString(",\n  \"objects\": [")
	sc := bufio.NewScanner(objects)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	written := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			return fmt.Errorf("object finding %d is not valid JSON", written+1)
		}
		if written > 0 {
			bw.WriteByte(',')
		}
		written++
		bw.WriteString("\n    ")
		bw.Write(line)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read object findings: %w", err)
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}
