package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/plan"
)

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	applied, results := fxApplied()
	tests := map[string]struct {
		p    *plan.Plan
		opts MarkdownOptions
	}{
		"in-sync.md":  {fxInSync(), MarkdownOptions{Mode: "plan", JSONFile: "/home/runner/work/_temp/sseguard-plan.json"}},
		"drift.md":    {fxDrift(), MarkdownOptions{Mode: "plan", JSONFile: "sseguard-plan.json"}},
		"blockers.md": {fxBlockers(), MarkdownOptions{Mode: "plan", JSONFile: "sseguard-plan.json"}},
		"applied.md":  {applied, MarkdownOptions{Mode: "apply", Results: results, JSONFile: "sseguard-plan.json"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Markdown(tc.p, tc.opts)
			if len(got) > DefaultMarkdownMax {
				t.Errorf("summary is %d bytes, over the %d cap", len(got), DefaultMarkdownMax)
			}
			mdGolden(t, "markdown", name, got)
		})
	}
}

// TestMarkdownVerdictFirst checks the first line says what happened.
func TestMarkdownVerdictFirst(t *testing.T) {
	t.Parallel()
	applied, results := fxApplied()
	tests := map[string]struct {
		p    *plan.Plan
		opts MarkdownOptions
		want string
	}{
		"in sync":  {fxInSync(), MarkdownOptions{}, "### ✅ sseguard plan: In sync: 3 buckets match the policy."},
		"drift":    {fxDrift(), MarkdownOptions{}, "### 🟠 sseguard plan: 6 changes pending (3 buckets in the policy)."},
		"blockers": {fxBlockers(), MarkdownOptions{}, "### ⛔ sseguard plan: 3 blockers, 6 changes pending (6 buckets in the policy)."},
		"applied": {applied, MarkdownOptions{Mode: "apply", Results: results},
			"### ❌ sseguard apply: 4 applied, 1 failed, 1 skipped (3 buckets in the policy)."},
		"apply in sync": {fxInSync(), MarkdownOptions{Mode: "apply"},
			"### ✅ sseguard apply: In sync, nothing to apply: 3 buckets match the policy."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			first, _, _ := strings.Cut(Markdown(tc.p, tc.opts), "\n")
			if first != tc.want {
				t.Errorf("first line = %q, want %q", first, tc.want)
			}
		})
	}
}

// TestMarkdownBlockersFirst checks the pending-deletion shout and the blockers come before the
// bucket table.
func TestMarkdownBlockersFirst(t *testing.T) {
	t.Parallel()
	md := Markdown(fxBlockers(), MarkdownOptions{})
	caution := strings.Index(md, "> [!CAUTION]")
	blockers := strings.Index(md, "#### ⛔ Blockers")
	buckets := strings.Index(md, "#### Buckets")
	if caution < 0 || blockers < 0 || buckets < 0 || !(caution < blockers && blockers < buckets) {
		t.Errorf("want caution (%d) < blockers (%d) < buckets (%d)", caution, blockers, buckets)
	}
	for _, want := range []string{"alias/archive-key (bucket media-archive) is pending deletion: objects encrypted under it become unreadable",
		"alias/thumbs-key (bucket media-thumbs) is disabled"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

var mdHostile = []string{
	"a|b",
	`a\|b`,
	`a\\|b`,
	"`code` ``x``",
	"<script>alert(1)</script>",
	"<img src=x onerror=alert(1)>",
	"&lt;b&gt; &amp;",
	"line1\nline2\r\n| forged | row |",
	"# heading",
	"- item",
	"1. item",
	"> quote",
	"[click](https://evil.example)",
	"![img](https://evil.example/x.png)",
	"https://evil.example/path",
	"www.evil.example",
	"@octocat and @github/security-team",
	"mail me: someone@example.com",
	"**bold** _em_ ~~strike~~",
	"$x^2$ and $$y$$",
	"\u202etxt.exe \u200b zero \u2028 sep",
	"<!-- comment -->",
	"[^1]: footnote",
	"---",
	"\x00\x1b[31mred\x7f",
	"\xff\xfe invalid utf-8",
}

// TestMDTextInert checks that an escaped value contains nothing markdown, HTML or GitHub would
// act on.
func TestMDTextInert(t *testing.T) {
	t.Parallel()
	mention := regexp.MustCompile(`@[A-Za-z0-9]`)
	autolink := regexp.MustCompile(`(?i)(https?|ftp)://|www\.`)
	for _, in := range mdHostile {
		got := mdText(in)
		if strings.ContainsAny(got, "|`<>*_[]~$\n\r\x00\x1b\x7f\u202e\u200b\u2028") {
			t.Errorf("mdText(%q) = %q: keeps a character with a meaning", in, got)
		}
		if strings.Contains(strings.ReplaceAll(got, "&#", ""), "&") {
			t.Errorf("mdText(%q) = %q: keeps a bare &", in, got)
		}
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(got, `\x`, ""), `\u{`, ""), `\`) {
			t.Errorf("mdText(%q) = %q: keeps a backslash that could escape", in, got)
		}
		if strings.Contains(strings.ReplaceAll(got, "&#", ""), "#") {
			t.Errorf("mdText(%q) = %q: keeps a #", in, got)
		}
		if mention.MatchString(got) {
			t.Errorf("mdText(%q) = %q: keeps a mention", in, got)
		}
		if autolink.MatchString(got) {
			t.Errorf("mdText(%q) = %q: keeps an autolink", in, got)
		}
	}
	if got, want := mdText("arn:aws:kms:us-east-1:123456789012:key/1234abcd"), "arn:aws:kms:us-east-1:123456789012:key/1234abcd"; got != want {
		t.Errorf("an ARN should stay readable: got %q", got)
	}
	if got := mdText(strings.Repeat("x", 5000)); len([]rune(got)) != mdMaxRunes+1 {
		t.Errorf("a long value is %d runes, want it cut at %d", len([]rune(got)), mdMaxRunes)
	}
}

// TestMarkdownTablesHold renders a plan where every AWS and policy string is hostile and checks
// that each table row still has exactly its columns.
func TestMarkdownTablesHold(t *testing.T) {
	t.Parallel()
	for _, in := range mdHostile {
		p := fxBlockers()
		for i := range p.Buckets {
			p.Buckets[i].Name += in
			p.Buckets[i].Observed = in
			p.Buckets[i].Region = in
		}
		for i := range p.Changes {
			p.Changes[i].ID += in
			p.Changes[i].Before = in
			p.Changes[i].Details = append(p.Changes[i].Details, in)
		}
		for i := range p.Blockers {
			p.Blockers[i].Message += in
			p.Blockers[i].Code = in
		}
		p.PolicyPath = in
		p.Buckets[0].Objects.Sample[0].Key = in
		results := []plan.Result{{ChangeID: p.Changes[0].ID, Outcome: plan.Failed, Error: in, Detail: in}}
		for _, mode := range []plan.Mode{plan.ModePlan, plan.ModeApply} {
			md := Markdown(p, MarkdownOptions{Mode: mode, Results: results, JSONFile: in})
			mdCheckTables(t, in, md)
			// Every level of detail, and the drifting level cut short, hold their tables too.
			for d := DetailNoStatements; d <= DetailDrifting; d++ {
				mdCheckTables(t, in, atLevel(p, MarkdownOptions{Mode: mode, Results: results, JSONFile: in}, d))
			}
			cut := Markdown(p, MarkdownOptions{Mode: mode, Results: results, JSONFile: in, MaxBytes: 2500})
			mdCheckTables(t, in, cut)
			for _, c := range []bool{false, true} {
				mdCheckTables(t, in, Markdown(p, MarkdownOptions{Mode: mode, Results: results, Comment: c, MaxBytes: 1800, Elsewhere: in}))
			}
		}
	}
}

// mdCheckTables checks every table row has as many cells as its header, and nothing outside the
// tables looks like a table row, a heading or an HTML element that sseguard did not write.
func mdCheckTables(t *testing.T, in, md string) {
	t.Helper()
	cols := -1
	allowedTags := regexp.MustCompile(`</?(sub|br|details|summary)>`)
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "|") {
			n := strings.Count(line, "|")
			if cols < 0 {
				cols = n
			} else if n != cols {
				t.Errorf("input %q: row has %d pipes, header %d: %s", in, n, cols, line)
			}
			if strings.Contains(line, `\|`) {
				t.Errorf("input %q: row has an escaped pipe: %s", in, line)
			}
		} else {
			cols = -1
		}
		if strings.Contains(allowedTags.ReplaceAllString(line, ""), "<") {
			t.Errorf("input %q: line has HTML sseguard did not write: %s", in, line)
		}
		if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "### ") && !strings.HasPrefix(line, "#### ") {
			t.Errorf("input %q: unexpected heading: %s", in, line)
		}
	}
}
