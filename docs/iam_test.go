package docs_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeMarkerRE is a README line that names the `sseguard iam-policy` command whose output is the
// fenced block right below it: <!-- iam-policy --role plan --policy policy.example.yaml -->.
var readmeMarkerRE = regexp.MustCompile(`^<!-- (iam-policy(?: [^ ]+)+) -->$`)

// readmeBlock is one generated block of README.md: its command line and the text between its
// fences.
type readmeBlock struct {
	line int // of the marker, 1-based
	args []string
	text string
}

// readmeBlocks finds every marker in text and the ```json block right below it. problems says
// what is wrong with the markup itself (a marker without its block, a block never closed).
func readmeBlocks(text string) (blocks []readmeBlock, problems []string) {
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		m := readmeMarkerRE.FindStringSubmatch(lines[i])
		if m == nil {
			if strings.Contains(lines[i], "<!-- iam-policy") {
				problems = append(problems, fmt.Sprintf("line %d: %q looks like a marker but is not one (want <!-- iam-policy ARGS --> alone on its line)", i+1, lines[i]))
			}
			continue
		}
		if i+1 >= len(lines) || lines[i+1] != "```json" {
			problems = append(problems, fmt.Sprintf("line %d: marker %q is not followed by a ```json line", i+1, lines[i]))
			continue
		}
		end := slices.Index(lines[i+2:], "```")
		if end < 0 {
			problems = append(problems, fmt.Sprintf("line %d: the ```json block below marker %q is never closed", i+1, lines[i]))
			break
		}
		end += i + 2
		blocks = append(blocks, readmeBlock{line: i + 1, args: strings.Fields(m[1]), text: strings.Join(lines[i+2:end], "\n")})
		i = end
	}
	return blocks, problems
}

// iamCommands are the blocks docs/iam.md shows: a marker lost in an edit must not let the page
// drift unnoticed.
var iamCommands = []string{
	"iam-policy --role plan --policy policy.example.yaml",
	"iam-policy --role apply --policy policy.example.yaml",
	"iam-policy --role plan --policy policy.example.yaml --trust --repo OWNER/REPO",
	"iam-policy --role apply --policy policy.example.yaml --trust --repo OWNER/REPO",
	"iam-policy --role apply --policy policy.example.yaml --trust --repo OWNER@123456/REPO@456789",
	"iam-policy --role plan --policy examples/accounts.yaml",
	"iam-policy --role plan --policy examples/accounts.yaml --account 111122223333",
	"iam-policy --role plan --policy examples/accounts.yaml --trust --account 111122223333 --assumed-by arn:aws:iam::123456789012:role/sseguard-plan",
}

// TestIAMPolicies keeps the IAM blocks of the README and the docs equal to what `sseguard
// iam-policy` prints: each fenced block below <!-- iam-policy ARGS --> must be exactly the
// standard output of the command line, run in-process with those arguments from the repository
// root.
func TestIAMPolicies(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range docFiles(t) {
		blocks, problems := readmeBlocks(strings.Join(d.lines, "\n"))
		for _, p := range problems {
			t.Errorf("%s %s", d.path, p)
		}
		for _, b := range blocks {
			cmdline := strings.Join(b.args, " ")
			if d.path == "docs/iam.md" {
				seen[cmdline] = true
			}
			stdout, stderr, code := run(b.args...)
			if code != 0 {
				t.Errorf("%s:%d: sseguard %s exits %d\n%s", d.path, b.line, cmdline, code, stderr)
				continue
			}
			if got := strings.TrimRight(stdout, "\n"); got != b.text {
				t.Errorf("%s:%d: the ```json block below <!-- %s --> is not what the command prints (%s).\n"+
					"Refresh it: run `go run . %s` at the repository root and paste its output, unchanged, between the block's fences.",
					d.path, b.line, cmdline, firstDifference(b.text, got), cmdline)
			}
		}
	}
	for _, c := range iamCommands {
		if !seen[c] {
			t.Errorf("docs/iam.md has no ```json block below <!-- %s -->: the page shows that command's output", c)
		}
	}
}

// firstDifference says on which line of the block two texts first differ, and how.
func firstDifference(readme, printed string) string {
	a, b := strings.Split(readme, "\n"), strings.Split(printed, "\n")
	line := func(l []string, i int) string {
		if i < len(l) {
			return fmt.Sprintf("%q", l[i])
		}
		return "nothing"
	}
	for i := 0; i < len(a) || i < len(b); i++ {
		if i >= len(a) || i >= len(b) || a[i] != b[i] {
			return fmt.Sprintf("line %d of the block: the doc has %s, the command prints %s", i+1, line(a, i), line(b, i))
		}
	}
	return "no difference"
}

// TestREADMEBlocksMarkup checks how markers and their blocks are read, so that a README edit that
// breaks the markup fails with what to fix rather than passing with fewer blocks checked.
func TestREADMEBlocksMarkup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		text     string
		blocks   []readmeBlock
		problems int
	}{
		{
			name:   "marker and block",
			text:   "intro\n<!-- iam-policy --role plan --policy p.yaml -->\n```json\n{\n  \"a\": 1\n}\n```\nafter",
			blocks: []readmeBlock{{line: 2, args: []string{"iam-policy", "--role", "plan", "--policy", "p.yaml"}, text: "{\n  \"a\": 1\n}"}},
		},
		{
			name: "two blocks",
			text: "<!-- iam-policy --role plan -->\n```json\n1\n```\n\n<!-- iam-policy --role apply -->\n```json\n2\n```",
			blocks: []readmeBlock{
				{line: 1, args: []string{"iam-policy", "--role", "plan"}, text: "1"},
				{line: 6, args: []string{"iam-policy", "--role", "apply"}, text: "2"},
			},
		},
		{
			name:   "empty block",
			text:   "<!-- iam-policy --role plan -->\n```json\n```",
			blocks: []readmeBlock{{line: 1, args: []string{"iam-policy", "--role", "plan"}, text: ""}},
		},
		{name: "blank line between marker and block", text: "<!-- iam-policy --role plan -->\n\n```json\n{}\n```", problems: 1},
		{name: "block never closed", text: "<!-- iam-policy --role plan -->\n```json\n{}\n", problems: 1},
		{name: "marker not alone on its line", text: "see <!-- iam-policy --role plan -->\n```json\n{}\n```", problems: 1},
		{name: "other comments are not markers", text: "<!-- a note -->\n```json\n{}\n```"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blocks, problems := readmeBlocks(tt.text)
			if len(problems) != tt.problems {
				t.Errorf("problems = %q, want %d", problems, tt.problems)
			}
			if len(blocks) != len(tt.blocks) {
				t.Fatalf("blocks = %+v, want %+v", blocks, tt.blocks)
			}
			for i := range blocks {
				if blocks[i].line != tt.blocks[i].line || !slices.Equal(blocks[i].args, tt.blocks[i].args) || blocks[i].text != tt.blocks[i].text {
					t.Errorf("block %d = %+v, want %+v", i, blocks[i], tt.blocks[i])
				}
			}
		})
	}
}

// The workflows the README shows are the example files users copy, line for line (the examples'
// own opening comments aside).
func TestREADMEWorkflowsAreTheExamples(t *testing.T) {
	t.Parallel()
	readme, err := readFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for heading, file := range map[string]string{"### Pull requests: plan": "examples/workflows/sseguard-plan.yml", "### Main: apply": "examples/workflows/sseguard-apply.yml"} {
		s := string(readme)
		i := strings.Index(s, heading)
		if i < 0 {
			t.Errorf("README has no %q section", heading)
			continue
		}
		a := strings.Index(s[i:], "```yaml\n")
		b := strings.Index(s[i+a+8:], "```\n")
		if a < 0 || b < 0 {
			t.Errorf("no yaml block under %q", heading)
			continue
		}
		shown := s[i+a+8 : i+a+8+b]
		ex, err := readFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(ex), "\n")
		for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
			lines = lines[1:]
		}
		if want := strings.TrimLeft(strings.Join(lines, "\n"), "\n"); shown != want {
			t.Errorf("the README's workflow under %q differs from %s: paste the file there (without its opening comments)", heading, file)
		}
	}
}
