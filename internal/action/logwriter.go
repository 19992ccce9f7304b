package action

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// LogWriter wraps the step's log for the pipeline's progress lines (apply's per-change lines,
// object scan progress) so that nothing in them can act as a workflow command: each line is
// kept on one line, and a line that would start with "::" is indented.
func LogWriter(w io.Writer) io.Writer { return &logWriter{w: w} }

type logWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf bytes.Buffer
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		line, err := l.buf.ReadString('\n')
		if err != nil {
			// Incomplete line: keep it for the next write.
			l.buf.Reset()
			l.buf.WriteString(line)
			return len(p), nil
		}
		line = oneLine(strings.TrimSuffix(line, "\n"))
		if strings.HasPrefix(strings.TrimSpace(line), "::") {
			line = "  " + line
		}
		if _, err := io.WriteString(l.w, line+"\n"); err != nil {
			return len(p), err
		}
	}
}
