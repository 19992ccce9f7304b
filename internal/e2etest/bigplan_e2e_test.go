package e2etest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sseguard/sseguard/internal/report"
	"github.com/sseguard/sseguard/internal/testsupport/githubtest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// bigLineRE is a bucket's line in a job summary or comment table: its name, then its policy line.
var bigLineRE = regexp.MustCompile(`(?m)^\| ([a-z0-9][a-z0-9.-]*) \| ([0-9]+) \|`)

// bigLines maps each bucket given a line of its own to its policy line (the first table naming it).
func bigLines(md string) map[string]int {
	out := map[string]int{}
	for _, m := range bigLineRE.FindAllStringSubmatch(md, -1) {
		if _, seen := out[m[1]]; !seen {
			out[m[1]], _ = strconv.Atoi(m[2])
		}
	}
	return out
}

// A pull request over a real-sized account, through the built binary run as the runner runs a
// container action, against moto behind the strict layer (under the generated plan policy) and
// GitHub's API stood in for: 220 drifted buckets with names as long as real ones (enough that the
// whole summary would pass its 512 KiB cap and leaves policy statements out; 170 fit whole, at
// 434 KB; 2,000 with SSEGUARD_LONG=1) under 40 keys not created yet, with TLS and upload enforcement, three missing buckets and two whose key is
// pending deletion. The job summary stays under its cap and names every bucket that drifts or is
// blocked and every blocker; the comment stays under GitHub's 65,536 characters and names every
// drifting bucket or says how many it left out; what its footer says of the job summary and the
// JSON plan is true; and with no json-file the JSON plan is a file in the workspace that
// plan-json names.
func TestE2EBigAccountPullRequest(t *testing.T) {
	e := newE2E(t)
	n := 220
	if long {
		n = 2000
	}
	// Names as long as real accounts' (media-0042-acme-media-production-archive-us-east-1-t007):
	// what makes a summary big is names, many times over.
	suffix := "-acme-media-production-archive-us-east-1-" + e.ns
	// Seeded with boto3 from one process (threads, not one CLI process per bucket).
	var seeded struct{ Doomed string }
	e.py(`
from concurrent.futures import ThreadPoolExecutor
names = [f"media-{i:04d}`+suffix+`" for i in range(`+strconv.Itoa(n)+`)] + ["doomed-a`+suffix+`", "doomed-b`+suffix+`"]
with ThreadPoolExecutor(16) as ex:
    list(ex.map(lambda b: s3.create_bucket(Bucket=b), names))
k = kms.create_key(Description="doomed")["KeyMetadata"]["KeyId"]
kms.create_alias(AliasName=`+pyStr("alias/doomed"+suffix)+`, TargetKeyId=k)
kms.schedule_key_deletion(KeyId=k, PendingWindowInDays=7)
print(json.dumps({"Doomed": k}))
`, &seeded)
	policyText := bigAccountPolicy(n, suffix)

	r := newRunner(e)
	const policy = "infra/sseguard.yaml"
	if err := os.MkdirAll(filepath.Join(r.ws, "infra"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.ws, policy), []byte(policyText), 0o644); err != nil {
		t.Fatal(err)
	}
	gh := githubtest.Start(t, "acme", "media")
	gh.AddToken("ghs_write", githubtest.Installation)
	env := []string{"GITHUB_API_URL=" + gh.URL, "GITHUB_SERVER_URL=https://github.com", "GITHUB_RUN_ID=4242"}
	code, out := r.prcRun("pull_request", "refs/pull/7/merge", map[string]string{"policy": policy, "github-token": "ghs_write"}, env)
	if code != 1 {
		t.Fatalf("pull_request over a big account with blockers = %d, want 1\n%.3000s", code, out)
	}

	// The JSON plan: the default file in the workspace, named relative to it by plan-json.
	name := r.outputs()["plan-json"]
	raw, err := os.ReadFile(filepath.Join(r.ws, name))
	if name != "sseguard-plan-infra-sseguard.json" || err != nil {
		t.Fatalf("plan-json = %q: %v", name, err)
	}
	checkPlanSchema(t, name, raw)
	var doc struct {
		Summary struct{ Buckets, Changes, Blockers int }
		Plan    struct {
			Buckets []struct {
				Name, Status string
				Line         int
			}
			Blockers []struct{ Code, Bucket string }
			Warnings []struct{ Code string }
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Buckets != n+5 || doc.Summary.Changes != 2*n+80 || doc.Summary.Blockers != 5 {
		t.Errorf("JSON plan summary %+v, want %d buckets, %d changes (40 keys and their rotation, encryption and policy per bucket), 5 blockers",
			doc.Summary, n+5, 2*n+80)
	}

	// The job summary: under its cap, says its level at the top, names every bucket that drifts
	// or is blocked at its policy line, every blocker, and the JSON plan.
	summary := r.summaryText()
	if len(summary) > 512<<10 {
		t.Errorf("the job summary is %d bytes, over the 512 KiB cap", len(summary))
	}
	level := regexp.MustCompile(`(?m)^> \*\*Detail: ([^.]+)\.\*\*`).FindStringSubmatch(summary)
	if level == nil {
		t.Fatalf("the summary (%d bytes) does not say which level of detail it shows", len(summary))
	}
	lines := bigLines(summary)
	for _, bs := range doc.Plan.Buckets {
		if bs.Status != "in-sync" && lines[bs.Name] != bs.Line {
			t.Errorf("the summary has no line for %s (%s) at policy line %d", bs.Name, bs.Status, bs.Line)
		}
	}
	for _, bl := range doc.Plan.Blockers {
		if !strings.Contains(summary, "| "+bl.Code+" | "+bl.Bucket+" |") {
			t.Errorf("the summary does not list blocker %s of %s", bl.Code, bl.Bucket)
		}
	}
	if !strings.Contains(summary, "The complete plan is in "+name+" (the `plan-json` output).") {
		t.Errorf("the summary's note does not name the JSON plan")
	}
	if !regexp.MustCompile(`(?m)^::error file=infra/sseguard.yaml,.*::GitHub limits annotations per step: the job summary lists these [0-9]+ findings`).MatchString(out) {
		t.Errorf("no annotation points at the job summary for the findings GitHub does not show")
	}
	// One finding per bucket that drifts or is blocked, per blocker of no bucket, per warning:
	// GitHub gets the first nine and one that folds the rest, which the summary lists (or, when
	// even they do not fit, counts in a "… N more" row).
	annotated := strings.Count(out, "::error file=infra/sseguard.yaml,") + strings.Count(out, "::warning file=infra/sseguard.yaml,") +
		strings.Count(out, "::notice file=infra/sseguard.yaml,")
	findings := len(doc.Plan.Warnings)
	for _, bs := range doc.Plan.Buckets {
		if bs.Status != "in-sync" {
			findings++
		}
	}
	for _, bl := range doc.Plan.Blockers {
		if bl.Bucket == "" {
			findings++
		}
	}
	hidden := findings - (report.MaxAnnotations - 1)
	if annotated != report.MaxAnnotations {
		t.Errorf("%d annotations, want %d", annotated, report.MaxAnnotations)
	}
	if !strings.Contains(summary, fmt.Sprintf("Not annotated: %d findings past the %d annotations", hidden, report.MaxAnnotations)) {
		t.Errorf("the summary does not say it lists the %d findings GitHub does not annotate", hidden)
	}
	listed := len(regexp.MustCompile(`(?m)^- line [0-9]+ \((error|warning|notice)\): `).FindAllString(summary, -1))
	if m := regexp.MustCompile(`(?m)^- … ([0-9]+) more findings? not annotated: `).FindStringSubmatch(summary); m != nil {
		more, _ := strconv.Atoi(m[1])
		listed += more
	}
	if listed != hidden {
		t.Errorf("the summary lists or counts %d findings as not annotated, want %d", listed, hidden)
	}

	// The comment: one, under GitHub's limit, every drifting bucket named or counted.
	cs := prcComments(gh, policy)
	if len(cs) != 1 {
		t.Fatalf("%d plan comments, want 1", len(cs))
	}
	body := cs[0].Body
	if c := utf8.RuneCountInString(body); c > 65536 {
		t.Errorf("the comment is %d characters, over GitHub's 65,536", c)
	}
	inComment := bigLines(body)
	left := 0
	for _, bs := range doc.Plan.Buckets {
		if bs.Status != "in-sync" && inComment[bs.Name] != bs.Line {
			left++
		}
	}
	if left > 0 && !strings.Contains(body, fmt.Sprintf("| … %d more buckets that drift or are blocked: the run's job summary lists them all |", left)) {
		t.Errorf("the comment leaves out %d drifting buckets without saying how many", left)
	}

	// Its footer: what it says the job summary holds is what the job summary holds, and the JSON
	// file it names is there.
	m := regexp.MustCompile(`(?m)^<sub>The run's \[job summary\]\(https://github\.com/acme/media/actions/runs/4242\) has (.+?)\. The whole plan is in the JSON file (\S+) the run wrote`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the footer does not say what the job summary holds and where the JSON plan is:\n%s", body[max(0, len(body)-800):])
	}
	if m[2] != name {
		t.Errorf("the footer names %s, the run wrote %s", m[2], name)
	}
	holds := map[string]string{
		"policy statements left out":                    "every change with its before and after, warnings, existing objects and cost",
		"policy statements and object samples left out": "every change with its before and after, warnings, existing object counts and cost",
		"one line per bucket":                           fmt.Sprintf("one line for each of the %d buckets", n+5),
		"only the buckets that drift or are blocked":    "one line for each bucket that drifts or is blocked",
	}[level[1]]
	if holds == "" || !strings.HasPrefix(m[1], holds) {
		t.Errorf("the summary shows %q; the footer says it has %q", level[1], m[1])
	}
	// When even that level leaves rows out, the footer says so, and the summary has a row saying
	// how many in place of each list's missing rows.
	if strings.Contains(m[1], "as many as fit under its size cap") && !regexp.MustCompile(`… [0-9]+ more .*lists them all`).MatchString(summary) {
		t.Errorf("the footer says rows were left out; the summary has no row saying how many")
	}
	if strings.HasPrefix(holds, "every change") && !strings.Contains(summary, fmt.Sprintf("#### Changes (%d)", 2*n+80)) {
		t.Errorf("the footer says the summary has every change; it has no table of them")
	}
	if level[1] == "one line per bucket" {
		for _, bs := range doc.Plan.Buckets {
			if lines[bs.Name] != bs.Line {
				t.Errorf("the footer says one line per bucket; %s has none", bs.Name)
			}
		}
	}
	t.Logf("%d buckets: summary %d bytes (%s), comment %d bytes, %d drifting buckets not in the comment", n, len(summary), level[1], len(body), left)
}

// bigAccountPolicy is the big-account scenario's policy file: n buckets media-0000… under 40
// keys alias/media-00…39, three missing buckets (missing-a, -b, -c) and two whose key
// alias/doomed is pending deletion (doomed-a, -b), each SSE-KMS with upload and TLS enforcement.
// suffix ends every bucket and alias name, so that tests sharing one emulator do not meet.
func bigAccountPolicy(n int, suffix string) string {
	var b strings.Builder
	b.WriteString("version: 1\naccount: \"" + motoserver.Account + "\"\nregion: us-east-1\nbuckets:\n")
	bucket := func(name, alias string) {
		fmt.Fprintf(&b, "  - name: %s%s\n    encryption: sse-kms\n    kms_key: alias/%s%s\n    enforce_on_upload: true\n    require_tls: true\n",
			name, suffix, alias, suffix)
	}
	for i := range n {
		bucket(fmt.Sprintf("media-%04d", i), fmt.Sprintf("media-%02d", i%40))
	}
	for _, name := range []string{"missing-a", "missing-b", "missing-c"} {
		bucket(name, "media-00")
	}
	bucket("doomed-a", "doomed")
	bucket("doomed-b", "doomed")
	return b.String()
}
