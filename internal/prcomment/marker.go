package prcomment

import (
	"fmt"
	"strings"
)

// markerPrefix starts the hidden first line of every comment sseguard writes.
const markerPrefix = "<!-- sseguard:plan:"

// statusPrefix starts the hidden second line: the state the comment showed, so that the next
// run can say "back in sync".
const statusPrefix = "<!-- sseguard:status:"

// Status is the state a comment shows.
type Status string

// The states a comment can show.
const (
	StatusInSync  Status = "in-sync"
	StatusDrift   Status = "drift"
	StatusBlocked Status = "blocked"
	// StatusFailed: the run stopped before it had a plan (an invalid policy, an error).
	StatusFailed Status = "failed"
)

// Marker is the hidden first line that finds a policy file's comment again: an HTML comment
// holding the policy's path, e.g. <!-- sseguard:plan:infra/sseguard.yaml -->. GitHub renders no
// HTML comment, so readers never see it. Bytes outside [A-Za-z0-9._/-] are percent-encoded, and
// so is a hyphen after a hyphen, so that no path can end the HTML comment ("-->") early or
// break the line.
func Marker(policyPath string) string {
	var b strings.Builder
	b.WriteString(markerPrefix)
	prev := byte(0)
	for i := 0; i < len(policyPath); i++ {
		c := policyPath[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '/':
			b.WriteByte(c)
		case c == '-' && prev != '-':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
			c = '%'
		}
		prev = c
	}
	b.WriteString(" -->")
	return b.String()
}

// HasMarker reports whether body is a comment for the marker: its first line is the marker
// exactly. A comment that only mentions the marker further down (a quote, a reply) is not one.
func HasMarker(body, marker string) bool {
	first, _, _ := strings.Cut(body, "\n")
	return strings.TrimSuffix(first, "\r") == marker
}

// statusLine is the hidden second line of a comment.
func statusLine(s Status) string { return statusPrefix + string(s) + " -->" }

// previousStatus is the state an earlier version of the comment showed, from its hidden second
// line; "" when there is none (no comment yet, or one edited by hand).
func previousStatus(body string) Status {
	lines := strings.SplitN(body, "\n", 3)
	if len(lines) < 2 {
		return ""
	}
	s, ok := strings.CutPrefix(strings.TrimSuffix(lines[1], "\r"), statusPrefix)
	if !ok {
		return ""
	}
	s, ok = strings.CutSuffix(s, " -->")
	if !ok {
		return ""
	}
	switch st := Status(s); st {
	case StatusInSync, StatusDrift, StatusBlocked, StatusFailed:
		return st
	}
	return ""
}
