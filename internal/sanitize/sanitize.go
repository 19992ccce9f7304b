// Package sanitize makes what sseguard writes for people safe to print, in a terminal and in a
// GitHub Actions log, whatever object keys, AWS error messages and policy files put into it: no
// control character reaches the screen, and no line can be taken for a workflow command. With
// redaction on, account ids are replaced first (redact.go).
//
// How the runner reads a step's output (github.com/actions/runner, read at commit
// 258d6c857db3519913f7deb6004b60172f8043ae):
//   - src/Runner.Sdk/ProcessInvoker.cs, StartReadStream: stdout and stderr alike are read with
//     StreamReader.ReadLine, so "\n", "\r" and "\r\n" each end a line.
//   - src/Runner.Worker/Handlers/OutputManager.cs, OnDataReceived: every line that contains "##["
//     or "::" anywhere goes to ActionCommandManager.TryProcessCommand, which tries
//     ActionCommand.TryParseV2 and then ActionCommand.TryParse.
//   - src/Runner.Common/ActionCommand.cs, TryParseV2: the line is trimmed with .NET's TrimStart
//     (every Unicode white space) and is a command when it then starts with "::" and holds a
//     second "::".
//   - src/Runner.Common/ActionCommand.cs, TryParse (the legacy form): "##[" anywhere in the line
//     (IndexOf, not only at its start), then "]".
//
// The rules, applied to each line (Line):
//  1. Every control character is written as a visible escape: C0 and DEL as \xNN, C1 (which holds
//     NEL), the line and paragraph separators U+2028 and U+2029, and every format character
//     (Unicode category Cf: the bidi embeddings, overrides and isolates of "Trojan Source", zero
//     width spaces and joiners, the BOM) as \uNNNN, and a byte that is not UTF-8 as \xNN. Bidi
//     controls are escaped rather than kept: they make a line read differently from what it holds.
//  2. A '#' that follows '#' and comes before '[' is written \x23, so "##[" appears nowhere.
//  3. When the line, past leading white space and format characters, starts with "::", that first
//     ':' is written \x3a.
//
// Escapes are for reading, not for reversing: a backslash in the input is kept as it is. The
// result is one line holding no control character; Line of its own result changes nothing.
package sanitize

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Line returns s made safe as one line of output (see the package comment): a newline in s is
// escaped too, so the result never spans lines.
func Line(s string) string {
	if clean(s) {
		return s
	}
	return neutralize(escape(s))
}

// Text returns s with each of its lines made safe by Line; the "\n" between lines, and a final
// one, are kept.
func Text(s string) string {
	if !strings.Contains(s, "\n") {
		return Line(s)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Line(l)
	}
	return strings.Join(lines, "\n")
}

// clean reports whether Line would return s unchanged: the common case, checked without
// allocating.
func clean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || (c == '#' && strings.HasPrefix(s[i:], "##[")) {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || mustEscape(r) {
			return false
		}
		i += size
	}
	return !startsCommand(s)
}

// mustEscape reports whether a rune at or above U+0080 is written as \uNNNN.
func mustEscape(r rune) bool {
	return (r >= 0x80 && r < 0xa0) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// escape applies rule 1.
func escape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case mustEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// neutralize applies rules 2 and 3 to a string without control characters.
func neutralize(s string) string {
	if strings.Contains(s, "##[") {
		var b strings.Builder
		b.Grow(len(s) + 8)
		for i := 0; i < len(s); i++ {
			// The neighbours are read from s: the escape written instead holds neither '#' nor '['.
			if s[i] == '#' && i > 0 && s[i-1] == '#' && i+1 < len(s) && s[i+1] == '[' {
				b.WriteString(`\x23`)
				continue
			}
			b.WriteByte(s[i])
		}
		s = b.String()
	}
	if startsCommand(s) {
		i := len(s) - len(strings.TrimLeftFunc(s, skipped))
		s = s[:i] + `\x3a` + s[i+1:]
	}
	return s
}

// startsCommand reports whether s, past what the runner's TrimStart removes (and format
// characters, for good measure), starts with "::".
func startsCommand(s string) bool {
	return strings.HasPrefix(strings.TrimLeftFunc(s, skipped), "::")
}

func skipped(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) }

// Writer is a line-buffered io.Writer that writes each complete line it is given to an underlying
// writer, made safe: as text (NewWriter) or as JSON (NewJSONWriter). An incomplete last line
// waits for its end, or for Flush. It is safe for concurrent use.
type Writer struct {
	mu   sync.Mutex
	w    io.Writer
	line func(string) string
	buf  []byte
	err  error
}

// NewWriter returns a Writer that writes every line through Line to w, after passing it through
// each of pre in order (redaction, for instance).
func NewWriter(w io.Writer, pre ...func(string) string) *Writer {
	return &Writer{w: w, line: func(s string) string {
		for _, f := range pre {
			s = f(s)
		}
		return Line(s)
	}}
}

// NewJSONWriter returns a Writer for JSON as encoding/json writes it (indented or not, one
// value per line or one document): every '#' that would make "##[" is written \u0023, and every
// character that Line escapes (all of which JSON only allows inside strings) is written as a
// \uNNNN escape, a byte that is not UTF-8 as \ufffd (what encoding/json decodes it to). The
// document keeps its value; no line of it is a workflow command.
func NewJSONWriter(w io.Writer) *Writer {
	return &Writer{w: w, line: JSONLine}
}

// Write implements io.Writer. It reports len(p) unless the underlying writer failed, and then
// that error, now and on every later call.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.buf = append(w.buf, p...)
	start := 0
	for {
		i := bytes.IndexByte(w.buf[start:], '\n')
		if i < 0 {
			break
		}
		if err := w.emit(string(w.buf[start : start+i])); err != nil {
			return len(p), err
		}
		start += i + 1
	}
	w.buf = append(w.buf[:0], w.buf[start:]...)
	return len(p), nil
}

// Flush writes an incomplete last line, ended with "\n" so that whatever is written next starts
// a line of its own.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil || len(w.buf) == 0 {
		return w.err
	}
	err := w.emit(string(w.buf))
	w.buf = w.buf[:0]
	return err
}

func (w *Writer) emit(line string) error {
	if _, err := io.WriteString(w.w, w.line(line)+"\n"); err != nil {
		w.err = err
	}
	return w.err
}

// JSONLine returns one line of JSON (as encoding/json writes it) with the same value and no "##["
// or control character: see NewJSONWriter.
func JSONLine(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '#' && i > 0 && s[i-1] == '#' && i+1 < len(s) && s[i+1] == '[':
			b.WriteString(`\u0023`)
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		case r < 0x20 || r == 0x7f || mustEscape(r):
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
