package jsonplan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sseguard/sseguard/internal/plan"
)

// maxFindingLine is the longest object finding line Write reads: far above any real
// finding (an object key is at most 1,024 bytes), so only a broken stream reaches it.
const maxFindingLine = 16 * 1024 * 1024

// Write writes the JSON plan (see New) as an indented document, with an "objects" array read
// from objects when it is not nil: a stream of JSON objects, one per line, each an ObjectFinding
// (every object found not as required). The stream is converted line by line, so an account's
// millions of objects are never held in memory.
func Write(w io.Writer, p *plan.Plan, results []plan.Result, objects io.Reader, opts Options) error {
	doc, err := New(p, results, opts)
	if err != nil {
		return err
	}
	head, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the JSON plan: %w", err)
	}
	if objects == nil {
		_, err = w.Write(append(head, '\n'))
		return err
	}
	bw := bufio.NewWriter(w)
	// Reopen the document's closing brace to append the streamed array.
	bw.Write(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(head), []byte("}"))))
	bw.WriteString(",\n  \"objects\": [")
	sc := bufio.NewScanner(objects)
	sc.Buffer(make([]byte, 64*1024), maxFindingLine)
	written := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		out, err := findingLine(line)
		if err != nil {
			return fmt.Errorf("object finding %d: %w", written+1, err)
		}
		if written > 0 {
			bw.WriteByte(',')
		}
		written++
		bw.WriteString("\n    ")
		bw.Write(out)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read object findings: %w", err)
	}
	bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

// findingLine converts one line of the findings stream into the document's finding: only the
// fields of ObjectFinding reach the document, so it always has the documented shape.
func findingLine(line []byte) ([]byte, error) {
	if line[0] != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	var f ObjectFinding
	if err := json.Unmarshal(line, &f); err != nil {
		return nil, fmt.Errorf("not a finding: %w", err)
	}
	return json.Marshal(f)
}
