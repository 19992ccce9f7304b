package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
)

// FindingsFile keeps every object finding of a run in a temporary file, one JSON value per
// line, so that the JSON plan can list them all without holding them in memory.
type FindingsFile struct {
	mu  sync.Mutex
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
	err error
}

// NewFindingsFile creates the temporary file. Close removes it.
func NewFindingsFile() (*FindingsFile, error) {
	f, err := os.CreateTemp("", "sseguard-findings-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("create a temporary file for object findings: %w", err)
	}
	w := bufio.NewWriter(f)
	return &FindingsFile{f: f, w: w, enc: json.NewEncoder(w)}, nil
}

// Add records one finding (a run given the file in its View calls it for each).
func (ff *FindingsFile) Add(f Finding) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.err == nil {
		ff.err = ff.enc.Encode(f)
	}
}

// Reader flushes what was added and returns a reader over all of it, from the start. Call it
// once the run is over: it moves the file's offset.
func (ff *FindingsFile) Reader() (io.Reader, error) {
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if ff.err != nil {
		return nil, fmt.Errorf("write object findings: %w", ff.err)
	}
	if err := ff.w.Flush(); err != nil {
		return nil, fmt.Errorf("write object findings: %w", err)
	}
	if _, err := ff.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read object findings: %w", err)
	}
	return ff.f, nil
}

// Close removes the file.
func (ff *FindingsFile) Close() {
	ff.f.Close()
	os.Remove(ff.f.Name())
}
