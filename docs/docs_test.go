// Package docs_test checks the README and the pages of docs/ against the code they describe: every
// sseguard command and flag they show, every action input and output, every blocker and warning
// code, every policy field, every relative link and the generated IAM blocks must be what the
// binary accepts or emits, and each of those lists must be documented whole. The command line runs
// in-process (cli.Main).
package docs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/sseguard/sseguard/internal/cli"
)

// root is the repository root, where the README is and from where the docs name paths. The tests
// read files through it (rather than changing directory) so that go test's cache sees every file
// they read, and a cached pass never hides a doc edited since.
const root = ".."

func readFile(path string) ([]byte, error) { return os.ReadFile(filepath.Join(root, path)) }

func stat(path string) (os.FileInfo, error) { return os.Stat(filepath.Join(root, path)) }

// glob is filepath.Glob from the root, giving paths from the root.
func glob(pattern string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(root, pattern))
	for i := range m {
		m[i], _ = filepath.Rel(root, m[i])
	}
	return m, err
}

// run runs the command line in-process with args, the policy file's path (--policy FILE) read from
// the root, and returns what it printed and its exit code.
func run(args ...string) (stdout, stderr string, code int) {
	args = slices.Clone(args)
	for i := 1; i < len(args); i++ {
		if args[i-1] == "--policy" && !filepath.IsAbs(args[i]) {
			args[i] = filepath.Join(root, args[i])
		}
	}
	var o, e bytes.Buffer
	code = cli.Main(context.Background(), args, cli.Env{Stdout: &o, Stderr: &e})
	return o.String(), e.String(), code
}

// doc is one Markdown file the checks read.
type doc struct {
	path  string
	lines []string
}

// docFiles are the README and every page of docs/ (and the benchmark's README, for its links and
// commands).
func docFiles(t *testing.T) []doc {
	t.Helper()
	paths, err := glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	paths = append([]string{"README.md", "bench/README.md"}, paths...)
	if len(paths) < 8 {
		t.Fatalf("found only %v: the docs moved?", paths)
	}
	var out []doc
	for _, p := range paths {
		b, err := readFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, doc{path: p, lines: strings.Split(string(b), "\n")})
	}
	return out
}

// fence is one fenced block of a document.
type fence struct {
	line  int // of the opening fence, 1-based
	lang  string
	lines []string
}

// paragraph is prose: consecutive lines outside fences, joined by spaces (a table row is a
// paragraph of its own), so that a code span broken over two lines is read whole.
type paragraph struct {
	line int
	text string
}

// parse splits a document into its fenced blocks and its paragraphs.
func parse(d doc) (fences []fence, paras []paragraph) {
	var cur *fence
	var para []string
	start := 0
	flush := func() {
		if len(para) > 0 {
			paras = append(paras, paragraph{line: start, text: strings.Join(para, " ")})
		}
		para = nil
	}
	for i, l := range d.lines {
		trimmed := strings.TrimSpace(l)
		if cur != nil {
			if trimmed == "```" {
				fences = append(fences, *cur)
				cur = nil
				continue
			}
			cur.lines = append(cur.lines, l)
			continue
		}
		if strings.HasPrefix(trimmed, "```") {
			flush()
			cur = &fence{line: i + 1, lang: strings.TrimPrefix(trimmed, "```")}
			continue
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "|") || strings.HasPrefix(trimmed, "#") {
			flush()
			if trimmed != "" {
				paras = append(paras, paragraph{line: i + 1, text: trimmed})
			}
			continue
		}
		if len(para) == 0 {
			start = i + 1
		}
		para = append(para, trimmed)
	}
	flush()
	return fences, paras
}

var spanRE = regexp.MustCompile("`([^`]+)`")

// spans are the code spans of a text.
func spans(text string) []string {
	var out []string
	for _, m := range spanRE.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// helpFlagRE is a flag line of `sseguard COMMAND --help`.
var helpFlagRE = regexp.MustCompile(`(?m)^  (--[a-z][a-z0-9-]*)`)

// cliSpec is what the command line accepts: each command and the flags its --help lists.
type cliSpec struct {
	commands map[string][]string
	global   []string
	demo     []string
}

var (
	specOnce sync.Once
	spec     cliSpec
	specErr  error
)

// commandLine asks the command line itself: the commands `sseguard --help` lists and the flags of
// each one's --help; the demo's flags from its source (it is a command of its own).
func commandLine(t *testing.T) cliSpec {
	t.Helper()
	specOnce.Do(func() {
		out, _, code := run("--help")
		if code != 0 {
			specErr = fmt.Errorf("sseguard --help exits %d", code)
			return
		}
		_, list, ok := strings.Cut(out, "Commands:\n")
		if !ok {
			specErr = fmt.Errorf("sseguard --help lists no commands:\n%s", out)
			return
		}
		spec.commands = map[string][]string{}
		for _, l := range strings.Split(list, "\n") {
			if !strings.HasPrefix(l, "  ") {
				break
			}
			name := strings.Fields(l)[0]
			help, _, code := run(name, "--help")
			if code != 0 {
				specErr = fmt.Errorf("sseguard %s --help exits %d", name, code)
				return
			}
			flags := []string{"--help"}
			for _, m := range helpFlagRE.FindAllStringSubmatch(help, -1) {
				flags = append(flags, m[1])
			}
			spec.commands[name] = flags
		}
		spec.global = []string{"--help", "-h", "--version"}
		for _, f := range spec.global {
			if _, _, code := run(f); code != 0 {
				specErr = fmt.Errorf("sseguard %s exits %d", f, code)
				return
			}
		}
		src, err := readFile("cmd/demo/main.go")
		if err != nil {
			specErr = err
			return
		}
		for _, m := range regexp.MustCompile(`flag\.[A-Za-z]+\("([a-z][a-z0-9-]*)"`).FindAllStringSubmatch(string(src), -1) {
			spec.demo = append(spec.demo, "--"+m[1])
		}
	})
	if specErr != nil {
		t.Fatal(specErr)
	}
	if len(spec.commands) < 5 || len(spec.demo) == 0 {
		t.Fatalf("read %d commands and demo flags %v: the help output changed shape", len(spec.commands), spec.demo)
	}
	return spec
}

// flagName is the flag a token names: --json=FILE, [--branch and --role, are --json, --branch and
// --role.
func flagName(tok string) string {
	tok = strings.TrimLeft(tok, "[(")
	if i := strings.IndexAny(tok, "=]),;:|"); i >= 0 {
		tok = tok[:i]
	}
	return tok
}

// shellWords splits a command line at the shell's operators, each piece one command's words.
func shellWords(line string) [][]string {
	var out [][]string
	var cur []string
	for _, w := range strings.Fields(line) {
		if w == "#" || strings.HasPrefix(w, "#") && len(cur) > 0 {
			break
		}
		switch w {
		case "|", "||", "&&", ";", ">", ">>", "<", "2>":
			out = append(out, cur)
			cur = nil
			continue
		}
		cur = append(cur, w)
	}
	return append(out, cur)
}

// invocation is one sseguard command a document shows.
type invocation struct {
	where string
	cmd   string // empty: a flag alone (with the commands its sentence names)
	flags []string
	named []string // the commands the sentence names, for a flag alone
	demo  bool
}

var imageRE = regexp.MustCompile(`^ghcr\.io/sseguard/sseguard[:@]`)

// invocationsIn reads the commands one command line shows: after sseguard, ./sseguard or the
// released image, and after the demo's go run ./cmd/demo; known tells a span that starts with a
// command's name ("apply --approved-plan FILE").
func invocationsIn(where string, words []string, known map[string][]string, spanStart bool) []invocation {
	var out []invocation
	for i, w := range words {
		if w == "./cmd/demo" {
			inv := invocation{where: where, demo: true}
			for _, f := range words[i+1:] {
				if strings.HasPrefix(f, "-") {
					inv.flags = append(inv.flags, flagName(f))
				}
			}
			return append(out, inv)
		}
		start := -1
		switch {
		case w == "sseguard" || w == "./sseguard" || imageRE.MatchString(w):
			start = i + 1
		case i == 0 && spanStart && known[w] != nil && len(words) > 1:
			start = i
		}
		if start < 0 || start >= len(words) {
			continue
		}
		rest := words[start:]
		cmd := rest[0]
		if cmd == "help" && len(rest) > 1 {
			cmd, rest = rest[1], rest[1:]
		}
		if strings.ToUpper(cmd) == cmd && !strings.HasPrefix(cmd, "-") {
			return out // a placeholder: sseguard COMMAND --help
		}
		inv := invocation{where: where, cmd: cmd}
		if strings.HasPrefix(cmd, "-") {
			inv.cmd, inv.flags = "", []string{flagName(cmd)}
			inv.named = []string{""}
		}
		for _, f := range rest[1:] {
			if strings.HasPrefix(f, "--") || strings.HasPrefix(f, "[--") {
				inv.flags = append(inv.flags, flagName(f))
			}
		}
		return append(out, inv)
	}
	return out
}

// invocations are every sseguard command the documents show: in shell blocks, in code spans, and
// flags alone in code spans (checked against the command their sentence names, else against
// every command).
func invocations(t *testing.T, docs []doc, known map[string][]string) []invocation {
	t.Helper()
	var out []invocation
	for _, d := range docs {
		fences, paras := parse(d)
		for _, f := range fences {
			if !slices.Contains([]string{"sh", "shell", "bash", "console"}, f.lang) {
				continue
			}
			line, first := "", 0
			for i, l := range f.lines {
				if line == "" {
					first = f.line + 1 + i
				}
				if cont, ok := strings.CutSuffix(l, "\\"); ok {
					line += cont + " "
					continue
				}
				for _, words := range shellWords(line + l) {
					out = append(out, invocationsIn(fmt.Sprintf("%s:%d", d.path, first), words, known, false)...)
				}
				line = ""
			}
		}
		for _, p := range paras {
			where := fmt.Sprintf("%s:%d", d.path, p.line)
			for _, sentence := range sentences(p.text) {
				// A flag alone belongs to the command named nearest before it in its sentence
				// ("`plan` and `apply` take `--prices FILE`, and `apply` takes
				// `--retry-failed-batch-jobs`"), else to those named after it, else to any.
				var all, before []string
				for _, s := range spans(sentence) {
					if s := strings.TrimPrefix(s, "sseguard "); known[s] != nil {
						all = append(all, s)
					}
				}
				for _, s := range spans(sentence) {
					if n := strings.TrimPrefix(s, "sseguard "); known[n] != nil {
						before = []string{n}
					}
					for _, words := range shellWords(s) {
						if len(words) > 0 && strings.HasPrefix(words[0], "--") {
							inv := invocation{where: where, named: before}
							if before == nil {
								inv.named = all
							}
							for _, f := range words {
								if strings.HasPrefix(f, "--") {
									inv.flags = append(inv.flags, flagName(f))
								}
							}
							out = append(out, inv)
							continue
						}
						out = append(out, invocationsIn(where, words, known, true)...)
					}
				}
			}
		}
	}
	return out
}

// sentences splits prose where a sentence or a clause ends, code spans kept whole.
func sentences(text string) []string {
	var out []string
	in := false
	last := 0
	for i := 0; i < len(text); i++ {
		switch {
		case text[i] == '`':
			in = !in
		case !in && (text[i] == '.' || text[i] == ';') && (i+1 == len(text) || text[i+1] == ' '):
			out = append(out, text[last:i+1])
			last = i + 1
		}
	}
	return append(out, text[last:])
}

// TestCommandsAndFlags: every sseguard command the README and docs show is a command, and every
// flag one that command's --help lists; a flag shown alone is one of the commands its sentence
// names (any command's, when it names none).
func TestCommandsAndFlags(t *testing.T) {
	c := commandLine(t)
	var all []string
	for _, flags := range c.commands {
		all = append(all, flags...)
	}
	all = append(all, c.global...)
	all = append(all, c.demo...)
	invs := invocations(t, docFiles(t), c.commands)
	checked := 0
	for _, inv := range invs {
		switch {
		case inv.demo:
			for _, f := range inv.flags {
				if !slices.Contains(c.demo, f) {
					t.Errorf("%s: go run ./cmd/demo %s: the demo has no such flag (it has %v)", inv.where, f, c.demo)
				}
			}
		case inv.cmd != "":
			flags, ok := c.commands[inv.cmd]
			if !ok {
				t.Errorf("%s: sseguard %s: no such command (sseguard --help lists %v)", inv.where, inv.cmd, keys(c.commands))
				continue
			}
			for _, f := range inv.flags {
				if !slices.Contains(flags, f) {
					t.Errorf("%s: sseguard %s %s: `sseguard %s --help` lists no such flag", inv.where, inv.cmd, f, inv.cmd)
				}
			}
		default:
			for _, f := range inv.flags {
				ok := slices.Contains(c.global, f)
				for _, n := range inv.named {
					ok = ok || n == "" && slices.Contains(c.global, f) || slices.Contains(c.commands[n], f)
				}
				if len(inv.named) == 0 {
					ok = ok || slices.Contains(all, f)
				}
				if !ok {
					t.Errorf("%s: %s: no flag of %s", inv.where, f, orAny(inv.named))
				}
			}
		}
		checked += len(inv.flags) + 1
	}
	if checked < 60 {
		t.Errorf("checked only %d commands and flags: the docs' markup is no longer read", checked)
	}
}

func orAny(named []string) string {
	if len(named) == 0 {
		return "any command"
	}
	return "sseguard " + strings.Join(named, ", ")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// actionMeta is action.yml's inputs and outputs.
func actionMeta(t *testing.T) (inputs, outputs map[string]bool) {
	t.Helper()
	b, err := readFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Inputs  map[string]any
		Outputs map[string]any
	}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	inputs, outputs = map[string]bool{}, map[string]bool{}
	for k := range meta.Inputs {
		inputs[k] = true
	}
	for k := range meta.Outputs {
		outputs[k] = true
	}
	if len(inputs) < 10 || len(outputs) < 5 {
		t.Fatalf("action.yml: %d inputs, %d outputs", len(inputs), len(outputs))
	}
	return inputs, outputs
}

// tableColumn is the first column's code spans of every table whose header starts with header,
// with the line of each.
func tableColumn(d doc, header string) map[string]int {
	out := map[string]int{}
	in := false
	for i, l := range d.lines {
		switch {
		case strings.HasPrefix(l, "| "+header+" |"):
			in = true
		case in && strings.HasPrefix(l, "|"):
			cells := strings.Split(l, "|")
			if len(cells) > 2 {
				for _, s := range spans(cells[1]) {
					out[s] = i + 1
				}
			}
		default:
			in = false
		}
	}
	return out
}

var (
	withKeyRE    = regexp.MustCompile(`^(\s*)([A-Za-z0-9_-]+):`)
	outputRefRE  = regexp.MustCompile(`steps\.sseguard\.outputs\.([A-Za-z0-9_-]+)`)
	inputSpanRE  = regexp.MustCompile(`^([a-z]+(?:-[a-z0-9]+)+): `)
	sseguardUses = regexp.MustCompile(`^(\s*)(?:- )?uses: sseguard/sseguard@`)
	// workflowKeys are a workflow's own keys written key: value, not the action's inputs.
	workflowKeys = map[string]bool{"pull-requests": true, "id-token": true, "cancel-in-progress": true, "runs-on": true, "timeout-minutes": true}
)

// workflowUse is what a workflow shows of the action: the with: keys of its sseguard step and the
// outputs it reads.
func workflowUse(lines []string) (with []string, outputs []string) {
	for i, l := range lines {
		if m := sseguardUses.FindStringSubmatch(l); m != nil {
			indent := len(m[1])
			if strings.HasPrefix(strings.TrimSpace(l), "- ") {
				indent += 2
			}
			for j := i + 1; j < len(lines); j++ {
				km := withKeyRE.FindStringSubmatch(lines[j])
				if km == nil {
					continue
				}
				if len(km[1]) < indent || strings.HasPrefix(strings.TrimSpace(lines[j]), "- ") && len(km[1]) <= indent {
					break
				}
				if len(km[1]) == indent && km[2] == "with" {
					for k := j + 1; k < len(lines); k++ {
						wm := withKeyRE.FindStringSubmatch(lines[k])
						if strings.TrimSpace(lines[k]) == "" || strings.HasPrefix(strings.TrimSpace(lines[k]), "#") {
							continue
						}
						if wm == nil || len(wm[1]) <= indent {
							break
						}
						with = append(with, wm[2])
					}
					break
				}
			}
		}
		for _, m := range outputRefRE.FindAllStringSubmatch(l, -1) {
			outputs = append(outputs, m[1])
		}
	}
	return with, outputs
}

// TestActionInputsAndOutputs: every input a workflow gives the action (in the docs' yaml blocks and
// the example files) and every input named as `input: value` is one of action.yml's; every output
// read is one it sets; the inputs and outputs tables of docs/action.md list exactly action.yml's.
func TestActionInputsAndOutputs(t *testing.T) {
	inputs, outputs := actionMeta(t)
	docs := docFiles(t)
	var tables []map[string]int
	withs := 0
	check := func(where string, lines []string) {
		with, outs := workflowUse(lines)
		withs += len(with)
		for _, w := range with {
			if !inputs[w] {
				t.Errorf("%s: with: %s: action.yml has no such input", where, w)
			}
		}
		for _, o := range outs {
			if !outputs[o] {
				t.Errorf("%s: steps.sseguard.outputs.%s: action.yml has no such output", where, o)
			}
		}
	}
	for _, d := range docs {
		fences, paras := parse(d)
		for _, f := range fences {
			if f.lang == "yaml" {
				check(fmt.Sprintf("%s:%d", d.path, f.line), f.lines)
			}
		}
		for _, p := range paras {
			for _, s := range spans(p.text) {
				if m := inputSpanRE.FindStringSubmatch(s); m != nil && !inputs[m[1]] && !workflowKeys[m[1]] {
					t.Errorf("%s:%d: `%s`: action.yml has no input %q", d.path, p.line, s, m[1])
				}
			}
		}
		if d.path == "docs/action.md" {
			tables = append(tables, tableColumn(d, "input"), tableColumn(d, "output"))
		}
	}
	files, _ := glob("examples/workflows/*.yml")
	for _, f := range files {
		b, err := readFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(f, strings.Split(string(b), "\n"))
	}
	if withs < 4 {
		t.Errorf("read only %d with: inputs: the workflows' markup is no longer read", withs)
	}
	if len(tables) != 2 {
		t.Fatal("docs/action.md is gone")
	}
	sameTable(t, "docs/action.md", "inputs table (| input |)", "action.yml's inputs", tables[0], inputs)
	sameTable(t, "docs/action.md", "outputs table (| output |)", "action.yml's outputs", tables[1], outputs)
}

// sameTable says where a documented table and the set it documents differ, both ways.
func sameTable(t *testing.T, path, table, of string, documented map[string]int, want map[string]bool) {
	t.Helper()
	for name, line := range documented {
		if !want[name] {
			t.Errorf("%s:%d: the %s lists `%s`, which is not one of %s", path, line, table, name, of)
		}
	}
	for name := range want {
		if _, ok := documented[name]; !ok {
			t.Errorf("%s: the %s does not document `%s`, one of %s", path, table, name, of)
		}
	}
}

// planCodes are the blocker and warning codes the JSON plan's schema enumerates (a test of
// internal/report keeps them equal to the plan's constants).
func planCodes(t *testing.T) (blockers, warnings map[string]bool) {
	t.Helper()
	b, err := readFile("docs/plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Enum []string `json:"enum"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	set := func(name string) map[string]bool {
		out := map[string]bool{}
		for _, c := range s.Defs[name].Enum {
			out[c] = true
		}
		if len(out) < 10 {
			t.Fatalf("plan.schema.json: %s has %d codes", name, len(out))
		}
		return out
	}
	return set("blocker_code"), set("warning_code")
}

// codeNearRE is a code written beside the word that says its kind: "a `key-disabled` blocker",
// "warning `objects-skipped`", "the plan warns (`cloudfront-oai-sse-kms`)", "blocks its own
// buckets (`account-unreachable`".
var codeNearRE = regexp.MustCompile("`([a-z0-9]+(?:-[a-z0-9]+)+)` (blocker|warning)|(blocker|warning)s? `([a-z0-9]+(?:-[a-z0-9]+)+)`|(warn|block)(?:s|ed|ing)?(?: [a-z']+){0,4} \\(`([a-z0-9]+(?:-[a-z0-9]+)+)`")

// TestCodes: the code tables of docs/plan-format.md list exactly the blocker and warning codes
// the plan can give, and a code written beside the word blocker or warning anywhere in the docs
// is one of that kind.
func TestCodes(t *testing.T) {
	blockers, warnings := planCodes(t)
	kinds := map[string]map[string]bool{"blocker": blockers, "warning": warnings}
	var format doc
	seen := 0
	for _, d := range docFiles(t) {
		if d.path == "docs/plan-format.md" {
			format = d
		}
		_, paras := parse(d)
		for _, p := range paras {
			for _, m := range codeNearRE.FindAllStringSubmatch(p.text, -1) {
				code, kind := m[1], m[2]
				switch {
				case m[4] != "":
					code, kind = m[4], m[3]
				case m[6] != "":
					code, kind = m[6], map[string]string{"warn": "warning", "block": "blocker"}[m[5]]
				}
				seen++
				if !kinds[kind][code] {
					t.Errorf("%s:%d: `%s` is written as a %s code, and the plan has no such %s (docs/plan.schema.json, %s_code)", d.path, p.line, code, kind, kind, kind)
				}
			}
		}
	}
	if seen < 5 {
		t.Errorf("found only %d codes named beside blocker or warning", seen)
	}
	if format.path == "" {
		t.Fatal("docs/plan-format.md is gone")
	}
	// The two code tables, each under its heading.
	sections := map[string]string{"blocker": "### `plan.blockers[]`", "warning": "### `plan.warnings[]`"}
	for kind, heading := range sections {
		i := slices.Index(format.lines, heading)
		if i < 0 {
			t.Errorf("docs/plan-format.md has no %q section", heading)
			continue
		}
		end := len(format.lines)
		for j := i + 1; j < len(format.lines); j++ {
			if strings.HasPrefix(format.lines[j], "#") {
				end = j
				break
			}
		}
		listed := tableColumn(doc{lines: format.lines[i:end]}, "code")
		for code, line := range listed {
			if !kinds[kind][code] {
				t.Errorf("docs/plan-format.md:%d: the %s codes list `%s`, which the plan never gives", i+line, kind, code)
			}
		}
		for code := range kinds[kind] {
			if _, ok := listed[code]; !ok {
				t.Errorf("docs/plan-format.md: the %s codes (| code | table under %s) do not explain `%s`", kind, heading, code)
			}
		}
	}
}

// schemaFields are the policy file's fields as docs/policy-file.md writes them: version,
// keys[].alias, buckets[].batch_operations.role_arn, unmanaged_buckets.mode, ...
func schemaFields(t *testing.T) map[string]bool {
	t.Helper()
	b, err := readFile("docs/policy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	defs := s["$defs"].(map[string]any)
	out := map[string]bool{}
	var walk func(node map[string]any, prefix string)
	walk = func(node map[string]any, prefix string) {
		if ref, ok := node["$ref"].(string); ok {
			if def, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any); ok {
				walk(def, prefix)
			}
		}
		if items, ok := node["items"].(map[string]any); ok {
			walk(items, prefix+"[]")
		}
		for _, k := range []string{"oneOf", "anyOf", "allOf"} {
			alts, _ := node[k].([]any)
			for _, a := range alts {
				walk(a.(map[string]any), prefix)
			}
		}
		props, _ := node["properties"].(map[string]any)
		for name, p := range props {
			path := name
			if prefix != "" {
				path = prefix + "." + name
			}
			out[path] = true
			walk(p.(map[string]any), path)
		}
	}
	walk(s, "")
	if len(out) < 30 || !out["buckets[].batch_operations.role_arn"] || !out["unmanaged_buckets.regions"] {
		t.Fatalf("read %d fields from the schema: %v", len(out), keys(out))
	}
	return out
}

var (
	fieldPathRE = regexp.MustCompile(`^(?:buckets|keys|accounts)\[\]\.[a-z_.]+$|^unmanaged_buckets\.[a-z_]+$`)
	fieldSpanRE = regexp.MustCompile(`^([a-z]+(?:_[a-z]+)+): `)
	yamlKeyRE   = regexp.MustCompile(`^\s*(?:- )?([a-z_]+):(?:\s|$)`)
)

// TestPolicyFields: the field table of docs/policy-file.md documents exactly the schema's fields;
// a field path (buckets[].kms_key) or a `field: value` written anywhere is a field of the schema,
// and so is every key of the docs' policy snippets.
func TestPolicyFields(t *testing.T) {
	fields := schemaFields(t)
	names := map[string]bool{}
	for f := range fields {
		names[f[strings.LastIndex(f, ".")+1:]] = true
	}
	var table map[string]int
	snippets := 0
	for _, d := range docFiles(t) {
		fences, paras := parse(d)
		if d.path == "docs/policy-file.md" {
			table = tableColumn(d, "field")
		}
		for _, p := range paras {
			if d.path == "docs/plan-format.md" {
				break // the JSON plan's fields, not the policy file's
			}
			for _, s := range spans(p.text) {
				if fieldPathRE.MatchString(s) && !fields[s] {
					t.Errorf("%s:%d: `%s`: the policy file has no such field (docs/policy.schema.json)", d.path, p.line, s)
				}
				if m := fieldSpanRE.FindStringSubmatch(s); m != nil && !names[m[1]] {
					t.Errorf("%s:%d: `%s`: the policy file has no field %q (docs/policy.schema.json)", d.path, p.line, s, m[1])
				}
			}
		}
		for _, f := range fences {
			text := strings.Join(f.lines, "\n")
			if f.lang != "yaml" || strings.Contains(text, "jobs:") || !strings.Contains(text, "encryption:") && !strings.Contains(text, "unmanaged_buckets") {
				continue
			}
			snippets++
			for i, l := range f.lines {
				if m := yamlKeyRE.FindStringSubmatch(l); m != nil && !strings.HasPrefix(strings.TrimSpace(l), "#") && !names[m[1]] {
					t.Errorf("%s:%d: %s: the policy file has no field %q", d.path, f.line+1+i, strings.TrimSpace(l), m[1])
				}
			}
		}
	}
	if snippets < 3 {
		t.Errorf("read only %d policy snippets", snippets)
	}
	if table == nil {
		t.Fatal("docs/policy-file.md has no | field | table")
	}
	sameTable(t, "docs/policy-file.md", "field table (| field |)", "the fields of docs/policy.schema.json", table, fields)
}

// exampleFiles are the policy files users copy: policy.example.yaml and examples/*.yaml.
func exampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := glob("examples/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("examples/*.yaml: %v %v", files, err)
	}
	return append([]string{"policy.example.yaml"}, files...)
}

// usedFields are the field paths a policy file uses, written as schemaFields writes them.
func usedFields(node *yaml.Node, prefix string, out map[string]bool) {
	switch node.Kind {
	case yaml.DocumentNode:
		for _, c := range node.Content {
			usedFields(c, prefix, out)
		}
	case yaml.SequenceNode:
		for _, c := range node.Content {
			usedFields(c, prefix+"[]", out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			path := node.Content[i].Value
			if prefix != "" {
				path = prefix + "." + path
			}
			out[path] = true
			if v := node.Content[i+1]; v.Kind == yaml.MappingNode || strings.HasSuffix(path, "]") || v.Kind == yaml.SequenceNode && len(v.Content) > 0 && v.Content[0].Kind == yaml.MappingNode {
				usedFields(v, path, out)
			}
		}
	}
}

// TestExamplesValidateAndCoverEveryField: every example policy file validates (sseguard validate,
// exit 0), and together they use every field of the schema.
func TestExamplesValidateAndCoverEveryField(t *testing.T) {
	fields := schemaFields(t)
	used := map[string]bool{}
	for _, f := range exampleFiles(t) {
		if stdout, stderr, code := run("validate", "--policy", f); code != 0 {
			t.Errorf("sseguard validate --policy %s exits %d:\n%s%s", f, code, stdout, stderr)
		}
		b, err := readFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var n yaml.Node
		if err := yaml.Unmarshal(b, &n); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		usedFields(&n, "", used)
	}
	for f := range fields {
		if !used[f] {
			t.Errorf("no example policy file (policy.example.yaml, examples/*.yaml) uses the field %s: add it to one, or a file of its own", f)
		}
	}
}

var linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// anchors are the ids GitHub gives a Markdown file's headings.
func anchors(lines []string) map[string]bool {
	out := map[string]bool{}
	in := false
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
		}
		if in || !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(l, "#"))
		h = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(h, "$1")
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		id := b.String()
		for n := 1; out[id]; n++ {
			id = fmt.Sprintf("%s-%d", b.String(), n)
		}
		out[id] = true
	}
	return out
}

// TestLinks: every relative link of the README and the docs names a file that exists and, with
// #anchor, a heading of it.
func TestLinks(t *testing.T) {
	n := 0
	for _, d := range docFiles(t) {
		_, paras := parse(d)
		for _, p := range paras {
			for _, m := range linkRE.FindAllStringSubmatch(p.text, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				n++
				file, anchor, _ := strings.Cut(target, "#")
				path := d.path
				if file != "" {
					path = filepath.Join(filepath.Dir(d.path), file)
				}
				fi, err := stat(path)
				if err != nil {
					t.Errorf("%s:%d: link %s: %s does not exist", d.path, p.line, target, path)
					continue
				}
				if anchor == "" {
					continue
				}
				if fi.IsDir() || !strings.HasSuffix(path, ".md") {
					t.Errorf("%s:%d: link %s: an anchor into %s, which is no Markdown file", d.path, p.line, target, path)
					continue
				}
				b, err := readFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if a := anchors(strings.Split(string(b), "\n")); !a[anchor] {
					t.Errorf("%s:%d: link %s: %s has no heading #%s (it has %v)", d.path, p.line, target, path, anchor, keys(a))
				}
			}
		}
	}
	if n < 30 {
		t.Errorf("found only %d relative links", n)
	}
}

// TestREADMEIsShort: the README is what a newcomer reads to the end; the rest is in docs/.
func TestREADMEIsShort(t *testing.T) {
	b, err := readFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > 350 {
		t.Errorf("README.md has %d lines, more than 350: move the detail to a page of docs/", n)
	}
}

// TestExampleWorkflowsPinSseguard: the workflows users copy pin sseguard itself to a release
// (vX.Y.Z) or a commit, never a branch or a moving major tag.
func TestExampleWorkflowsPinSseguard(t *testing.T) {
	files, _ := glob("examples/workflows/*.yml")
	if len(files) < 2 {
		t.Fatalf("examples/workflows: %v", files)
	}
	pin := regexp.MustCompile(`(?m)^\s*(?:- )?uses: sseguard/sseguard@(\S+)`)
	for _, f := range files {
		b, err := readFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ms := pin.FindAllStringSubmatch(string(b), -1)
		if len(ms) == 0 {
			t.Errorf("%s does not use sseguard", f)
		}
		for _, m := range ms {
			if !regexp.MustCompile(`^(v[0-9]+\.[0-9]+\.[0-9]+|[0-9a-f]{40})$`).MatchString(m[1]) {
				t.Errorf("%s: uses: sseguard/sseguard@%s: pin a release (vX.Y.Z) or its commit SHA", f, m[1])
			}
		}
	}
}

// TestPlanOutline: every field the outline of docs/plan-format.md names is a field of the JSON
// plan's schema (the prose words of its notes aside).
func TestPlanOutline(t *testing.T) {
	b, err := readFile("docs/plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema any
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	fields := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for k := range props {
					fields[k] = true
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(schema)
	prose := map[string]bool{"the": true, "policy": true, "write": true, "true": true, "when": true, "bucket": true, "deleted": true, "instead": true}
	src, err := readFile("docs/plan-format.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	start := strings.Index(text, "## At a glance")
	open := strings.Index(text[start+1:], "```text\n")
	if start < 0 || open < 0 {
		t.Fatal("docs/plan-format.md has no outline (## At a glance, then a ```text block)")
	}
	outline := text[start+1+open+len("```text\n"):]
	outline = outline[:strings.Index(outline, "```")]
	outline = regexp.MustCompile(`\([^)]*\)|"[^"]*"`).ReplaceAllString(outline, "")
	n := 0
	for i, line := range strings.Split(outline, "\n") {
		for _, w := range regexp.MustCompile(`[a-z][a-z_]{2,}`).FindAllString(line, -1) {
			n++
			if !fields[w] && !prose[w] {
				t.Errorf("docs/plan-format.md, the outline's line %d: %q is no field of the JSON plan (docs/plan.schema.json)", i+1, w)
			}
		}
	}
	if n < 100 {
		t.Errorf("read only %d names from the outline", n)
	}
}

// TestCloudFormationParameters: the parameters docs/iam.md documents are the template's, home and
// member account alike, and every parameter of the home account's template is documented.
func TestCloudFormationParameters(t *testing.T) {
	params := func(args ...string) map[string]bool {
		out, stderr, code := run(append([]string{"iam-policy", "--format", "cloudformation"}, args...)...)
		if code != 0 {
			t.Fatalf("iam-policy --format cloudformation %v: exit %d: %s", args, code, stderr)
		}
		var tmpl struct{ Parameters map[string]any }
		if err := json.Unmarshal([]byte(out), &tmpl); err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		for k := range tmpl.Parameters {
			set[k] = true
		}
		return set
	}
	home := params("--policy", "policy.example.yaml")
	member := params("--policy", "examples/accounts.yaml", "--account", "111122223333")
	b, err := readFile("docs/iam.md")
	if err != nil {
		t.Fatal(err)
	}
	d := doc{path: "docs/iam.md", lines: strings.Split(string(b), "\n")}
	table := tableColumn(d, "parameter")
	sameTable(t, "docs/iam.md", "parameters table (| parameter |)", "the template's parameters", table, home)
	_, paras := parse(d)
	for _, p := range paras {
		for _, s := range spans(p.text) {
			if regexp.MustCompile(`^(Home|Plan|Apply|GitHub|Repository)[A-Za-z]*$`).MatchString(s) && !home[s] && !member[s] && !strings.HasSuffix(s, "Arn") {
				t.Errorf("docs/iam.md:%d: `%s` is no parameter of the template", p.line, s)
			}
		}
	}
	for p := range member {
		if !strings.Contains(string(b), "`"+p+"`") {
			t.Errorf("docs/iam.md does not name the member account template's parameter %s", p)
		}
	}
}

// TestREADMETestCommandIsCI: the README's commands for a fresh clone run the demo and the tests,
// and the test command is the one .ci/run runs.
func TestREADMETestCommandIsCI(t *testing.T) {
	b, err := readFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := readFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	var demo, tests []string
	fences, _ := parse(doc{path: "README.md", lines: strings.Split(string(b), "\n")})
	for _, f := range fences {
		for _, l := range f.lines {
			cmd, _, _ := strings.Cut(l, "#")
			cmd = strings.TrimSpace(cmd)
			switch {
			case strings.HasPrefix(cmd, "go run ./cmd/demo"):
				demo = append(demo, cmd)
			case strings.HasPrefix(cmd, "go test"):
				tests = append(tests, cmd)
			}
		}
	}
	if len(demo) != 1 || len(tests) != 1 {
		t.Fatalf("the README's shell blocks hold demo commands %q and test commands %q: want one of each", demo, tests)
	}
	if !regexp.MustCompile(`(?m)^(time )?` + regexp.QuoteMeta(tests[0]) + `$`).Match(ci) {
		t.Errorf("the README's test command %q is not a command .ci/run runs", tests[0])
	}
}

// TestReading checks how the docs are read, so that a change of markup fails with what to fix
// rather than passing with fewer things checked.
func TestReading(t *testing.T) {
	known := map[string][]string{"plan": {"--json"}, "apply": {"--json"}, "iam-policy": {"--role"}}
	for name, tt := range map[string]struct {
		text string
		want []invocation
	}{
		"command in a span": {"run `sseguard plan --json=out.json --detailed-exitcode` now",
			[]invocation{{cmd: "plan", flags: []string{"--json", "--detailed-exitcode"}}}},
		"span starting with a command": {"`apply --approved-plan FILE` applies",
			[]invocation{{cmd: "apply", flags: []string{"--approved-plan"}}}},
		"flag alone after its command": {"`plan` and `apply` take `--prices FILE`, and `plan` takes `--x`.",
			[]invocation{{named: []string{"apply"}, flags: []string{"--prices"}}, {named: []string{"plan"}, flags: []string{"--x"}}}},
		"flag alone, command after it": {"`--role batch` is what `iam-policy` takes",
			[]invocation{{named: []string{"iam-policy"}, flags: []string{"--role"}}}},
		"the released image": {"`docker run ghcr.io/sseguard/sseguard:v1.2.3 validate --policy p.yaml`",
			[]invocation{{cmd: "validate", flags: []string{"--policy"}}}},
		"the demo":        {"`go run ./cmd/demo --keep`", []invocation{{demo: true, flags: []string{"--keep"}}}},
		"a placeholder":   {"`sseguard COMMAND --help`", nil},
		"other tools":     {"`aws s3control update-job-status --requested-job-status Ready`", nil},
		"help COMMAND":    {"`sseguard help plan`", []invocation{{cmd: "plan"}}},
		"not a plan span": {"the `plan` role", nil},
	} {
		t.Run(name, func(t *testing.T) {
			got := invocations(t, []doc{{path: "x.md", lines: []string{tt.text}}}, known)
			for i := range got {
				got[i].where = ""
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("read %+v, want %+v", got, tt.want)
			}
		})
	}
	shell := invocations(t, []doc{{path: "x.md", lines: []string{"```sh", "sseguard iam-policy --role plan \\", "  --policy p.yaml > out.json  # --not-read", "./sseguard plan --json - | jq .", "```"}}}, known)
	if fmt.Sprint(shell) != fmt.Sprint([]invocation{{where: "x.md:2", cmd: "iam-policy", flags: []string{"--role", "--policy"}}, {where: "x.md:4", cmd: "plan", flags: []string{"--json"}}}) {
		t.Errorf("shell block read as %+v", shell)
	}
	a := anchors([]string{"# The JSON plan", "### `plan.blockers[]`", "## Large buckets: S3 Inventory", "### Planning — 2026-11-29 20:36 UTC", "## Notes", "## Notes", "```", "# not a heading", "```"})
	for _, want := range []string{"the-json-plan", "planblockers", "large-buckets-s3-inventory", "planning--2026-11-29-2036-utc", "notes", "notes-1"} {
		if !a[want] {
			t.Errorf("anchors %v lack %q", keys(a), want)
		}
	}
	if len(a) != 6 {
		t.Errorf("anchors %v: a heading inside a fence counted", keys(a))
	}
}
