package policy

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a policy file. Line and Column are 1-based; zero when the problem has
// no place in the file (an empty or oversized file, for instance).
type Error struct {
	Path    string
	Line    int
	Column  int
	Message string
}

// Error returns "path:line:col: message", leaving out the parts of the position that are unknown.
func (e *Error) Error() string {
	return Position(e.Path, e.Line, e.Column) + ": " + e.Message
}

// Position is "path:line:col", the one place a position in a policy file is written: the column
// is left out when unknown (zero), and the line with it.
func Position(path string, line, column int) string {
	switch {
	case line <= 0:
		return path
	case column <= 0:
		return fmt.Sprintf("%s:%d", path, line)
	default:
		return fmt.Sprintf("%s:%d:%d", path, line, column)
	}
}

// Errors is every problem found in a policy file, sorted by line, column and message.
type Errors []*Error

// Error returns one problem per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sorted returns es sorted by position and message, without exact repeats (a value reached
// through several aliases is checked once per use but reported once).
func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Message < b.Message
	})
	out := es[:0]
	for _, e := range es {
		if len(out) > 0 && *e == *out[len(out)-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}
