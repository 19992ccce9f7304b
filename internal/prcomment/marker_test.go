package prcomment

import (
	"strings"
	"testing"
)

func TestMarker(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ path, want string }{
		"plain":              {"infra/sseguard.yaml", "<!-- sseguard:plan:infra/sseguard.yaml -->"},
		"hyphens":            {"a-b/c-d.yml", "<!-- sseguard:plan:a-b/c-d.yml -->"},
		"double hyphen":      {"x--y", "<!-- sseguard:plan:x-%2Dy -->"},
		"comment end":        {"p-->q", "<!-- sseguard:plan:p-%2D%3Eq -->"},
		"three hyphens":      {"a---b", "<!-- sseguard:plan:a-%2D-b -->"},
		"line break":         {"a\nb", "<!-- sseguard:plan:a%0Ab -->"},
		"space and unicode":  {"my pol/é.yaml", "<!-- sseguard:plan:my%20pol/%C3%A9.yaml -->"},
		"percent is encoded": {"50%.yaml", "<!-- sseguard:plan:50%25.yaml -->"},
		"trailing hyphen":    {"pol-", "<!-- sseguard:plan:pol- -->"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Marker(tc.path)
			if got != tc.want {
				t.Errorf("Marker(%q) = %q, want %q", tc.path, got, tc.want)
			}
			inner := strings.TrimSuffix(strings.TrimPrefix(got, "<!--"), "-->")
			if strings.Contains(inner, "--") || strings.ContainsAny(inner, "\r\n>") {
				t.Errorf("Marker(%q) = %q: its inside could end the HTML comment or the line", tc.path, got)
			}
		})
	}
	if Marker("a.yaml") == Marker("b.yaml") {
		t.Error("two policy files share a marker")
	}
}

func TestHasMarker(t *testing.T) {
	t.Parallel()
	m := Marker("sseguard.yaml")
	tests := map[string]struct {
		body string
		want bool
	}{
		"first line":             {m + "\n<!-- sseguard:status:drift -->\nplan", true},
		"only the marker":        {m, true},
		"CRLF after an edit":     {m + "\r\nplan", true},
		"quoted in a reply":      {"> " + m + "\nI disagree", false},
		"further down":           {"Look:\n" + m, false},
		"another policy":         {Marker("other.yaml") + "\nplan", false},
		"marker as a prefix":     {Marker("sseguard.yaml.bak") + "\n", false},
		"leading space":          {" " + m + "\n", false},
		"empty":                  {"", false},
		"marker text, no spaces": {strings.ReplaceAll(m, " ", "") + "\n", false},
	}
	for name, tc := range tests {
		if got := HasMarker(tc.body, m); got != tc.want {
			t.Errorf("%s: HasMarker = %v, want %v", name, got, tc.want)
		}
	}
}

func TestPreviousStatus(t *testing.T) {
	t.Parallel()
	m := Marker("p.yaml")
	tests := map[string]struct {
		body string
		want Status
	}{
		"new comment":    {"", ""},
		"drift":          {m + "\n" + statusLine(StatusDrift) + "\n\nplan", StatusDrift},
		"in sync, CRLF":  {m + "\r\n" + statusLine(StatusInSync) + "\r\n", StatusInSync},
		"blocked":        {m + "\n" + statusLine(StatusBlocked), StatusBlocked},
		"failed":         {m + "\n" + statusLine(StatusFailed) + "\n", StatusFailed},
		"unknown status": {m + "\n<!-- sseguard:status:happy -->\n", ""},
		"no status line": {m + "\nplan", ""},
		"edited by hand": {m + "\nsomeone wrote here\n" + statusLine(StatusDrift), ""},
	}
	for name, tc := range tests {
		if got := previousStatus(tc.body); got != tc.want {
			t.Errorf("%s: previousStatus = %q, want %q", name, got, tc.want)
		}
	}
}
