package prcomment

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sseguard/sseguard/internal/approval"
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

// approvalPrefix starts the hidden third line of a plan comment: the fingerprint of the plan it
// shows (package approval), which a later apply compares with its own plan.
const approvalPrefix = "<!-- sseguard:approval:"

// approvalLineRE is the hidden approval line: version, digest, and optionally each change's short
// id digest and short change digest. Nothing else is accepted from a comment.
var approvalLineRE = regexp.MustCompile(`^<!-- sseguard:approval:(v[0-9]+) ([0-9a-f]{64})(?: ((?:[0-9a-f]{12}=[0-9a-f]{12},)*[0-9a-f]{12}=[0-9a-f]{12}))? -->$`)

// ApprovalLine is the hidden line holding fp. The changes are listed when there are at most
// approval.MaxListed of them; past that, the digest alone.
func ApprovalLine(fp approval.Fingerprint) string {
	var b strings.Builder
	b.WriteString(approvalPrefix + fp.Version + " " + fp.Digest)
	if entries := fp.Entries(); len(entries) > 0 && len(entries) <= approval.MaxListed {
		for i, e := range entries {
			if i == 0 {
				b.WriteByte(' ')
			} else {
				b.WriteByte(',')
			}
			b.WriteString(e[0] + "=" + e[1])
		}
	}
	b.WriteString(" -->")
	return b.String()
}

// ReadApproval reads the fingerprint from a comment's hidden approval line (its third line),
// and whether there is a well-formed one.
func ReadApproval(body string) (approval.Fingerprint, bool) {
	lines := strings.SplitN(body, "\n", 4)
	if len(lines) < 3 {
		return approval.Fingerprint{}, false
	}
	m := approvalLineRE.FindStringSubmatch(strings.TrimSuffix(lines[2], "\r"))
	if m == nil {
		return approval.Fingerprint{}, false
	}
	fp := approval.Fingerprint{Version: m[1], Digest: m[2], Changes: map[string]string{}}
	if m[3] != "" {
		for _, pair := range strings.Split(m[3], ",") {
			id, h, _ := strings.Cut(pair, "=")
			if _, dup := fp.Changes[id]; dup {
				return approval.Fingerprint{}, false
			}
			fp.Changes[id] = h
		}
	}
	return fp, true
}
