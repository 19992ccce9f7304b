package action

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/jsonplan"
	"github.com/sseguard/sseguard/internal/pipeline"
	"github.com/sseguard/sseguard/internal/plan/plantest"
	"github.com/sseguard/sseguard/internal/prcomment"
	"github.com/sseguard/sseguard/internal/report"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// bigAccount is a real-sized account in the strict layer in front of moto: n buckets with the
// SSE-S3 default that the policy moves to SSE-KMS under 40 keys not created yet, with TLS and
// upload enforcement (880 changes for 400 buckets), plus three buckets the policy names that do
// not exist and two whose key is pending deletion (five blockers). It returns the policy.
func bigAccount(t *testing.T, ctx context.Context, c *awsclient.Clients, n int) string {
	t.Helper()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range n {
		g.Go(func() error {
			_, err := c.S3("").CreateBucket(gctx, &s3.CreateBucketInput{Bucket: aws.String(fmt.Sprintf("media-%04d", i))})
			return err
		})
	}
	for _, b := range []string{"doomed-a", "doomed-b"} {
		g.Go(func() error {
			_, err := c.S3("").CreateBucket(gctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("create buckets: %v", err)
	}
	key, err := c.KMS("").CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("doomed")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.KMS("").CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/doomed"), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.KMS("").ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: key.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	return plantest.BigAccountPolicy(n, "")
}

// bigN is how many drifted buckets the big-account tests plan: 400, or 2,000 in the long tier.
func bigN() int {
	if os.Getenv("SSEGUARD_LONG") == "1" {
		return 2000
	}
	return 400
}

// A pull request over a real-sized account, through the action with the real pipeline, against
// moto behind the strict layer and GitHub's API stood in for: the job summary is under its cap
// and names every bucket that drifts or is blocked and every blocker, and lists what GitHub
// does not annotate; the comment is under GitHub's 65,536 characters and names every drifting
// bucket or says how many it left out; each claim of its footer is true; and the JSON plan is a
// file in the workspace, named by plan-json.
func TestBigAccountPlanThroughTheAction(t *testing.T) {
	if os.Getenv("SSEGUARD_LONG") != "1" {
		t.Skip("the long tier runs it (SSEGUARD_LONG=1); the fast tier plans the same big account end to end in internal/e2etest (TestE2EBigAccountPullRequest)")
	}
	t.Parallel()
	n := bigN()
	ctx := context.Background()
	l := awstest.ForTest(t, awstest.Options{})
	c, err := awsclient.ForEndpoint(ctx, l.URL)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	policy := bigAccount(t, ctx, c, n)
	t.Logf("seeded in %v", time.Since(start))

	srv := startGitHub(t)
	r := commentRunner(t, srv, "pull_request", "ghs_write")
	ws := r.env["GITHUB_WORKSPACE"]
	if err := os.MkdirAll(filepath.Join(ws, "infra"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "infra", "sseguard.yaml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &pipeline.Pipeline{AWS: pipeline.Static(pipeline.FromClients(c))}
	start = time.Now()
	code := r.run(t, p)
	t.Logf("ran in %v", time.Since(start))
	if code != ExitFailure {
		t.Errorf("exit code %d, want %d (blockers)", code, ExitFailure)
	}
	out := r.out.String()

	// The JSON plan: a file in the workspace, named relative to it.
	name := r.outputs(t)["plan-json"]
	if name != "sseguard-plan-infra-sseguard.json" {
		t.Errorf("plan-json = %q", name)
	}
	var doc jsonplan.Document
	raw, err := os.ReadFile(filepath.Join(ws, name))
	if err != nil || json.Unmarshal(raw, &doc) != nil {
		t.Fatalf("the JSON plan %s in the workspace: %v", name, err)
	}
	if doc.Summary.Buckets != n+5 || doc.Summary.Changes != 2*n+80 || doc.Summary.Blockers != 5 {
		t.Errorf("JSON plan summary %+v, want %d buckets, %d changes, 5 blockers", doc.Summary, n+5, 2*n+80)
	}

	// The summary: under the cap, every bucket that drifts or is blocked on a line of its own
	// with its policy line, every blocker, and the findings GitHub does not annotate.
	summary := r.summaryText(t)
	if len(summary) > report.DefaultMarkdownMax {
		t.Errorf("the summary is %d bytes, over the %d cap", len(summary), report.DefaultMarkdownMax)
	}
	lines := bucketLines(summary)
	for _, b := range doc.Plan.Buckets {
		if b.Status != "in-sync" && lines[b.Name] != b.Line {
			t.Errorf("the summary has no line for %s (%s) at policy line %d", b.Name, b.Status, b.Line)
		}
	}
	for _, bl := range doc.Plan.Blockers {
		if !strings.Contains(summary, "| "+bl.Code+" | "+bl.Bucket+" |") {
			t.Errorf("the summary does not list blocker %s of %s", bl.Code, bl.Bucket)
		}
	}
	if !strings.Contains(summary, "The full plan is in "+name+" (the `plan-json` output).") {
		t.Errorf("the summary does not name the JSON plan")
	}
	level := regexp.MustCompile(`(?m)^> \*\*Detail: ([^.]+)\.\*\*`).FindStringSubmatch(summary)
	if level == nil {
		t.Errorf("the summary does not say at the top which level of detail it shows")
	} else {
		full := regexp.MustCompile(`The full summary would be ([0-9]+ KiB)`).FindStringSubmatch(summary)
		t.Logf("%d buckets: the full summary would be %s; the one written is %d bytes, %s", n, full[1], len(summary), level[1])
	}
	annotated := strings.Count(out, "::error file=infra/sseguard.yaml,") + strings.Count(out, "::warning file=infra/sseguard.yaml,") +
		strings.Count(out, "::notice file=infra/sseguard.yaml,")
	// One finding per bucket that drifts or is blocked, per blocker of no bucket, per warning:
	// GitHub gets the first nine and one that folds the rest, which the summary lists.
	findings := len(doc.Plan.Warnings)
	for _, b := range doc.Plan.Buckets {
		if b.Status != "in-sync" {
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
	if got := len(regexp.MustCompile(`(?m)^- line [0-9]+ \((error|warning|notice)\): `).FindAllString(summary, -1)); got != hidden {
		t.Errorf("the summary lists %d findings as not annotated, want %d", got, hidden)
	}

	// The comment: under GitHub's limit; every drifting bucket named, or how many are not.
	cs := sseguardComments(srv)
	if len(cs) != 1 {
		t.Fatalf("%d sseguard comments, want 1", len(cs))
	}
	body := cs[0].Body
	if chars := utf8.RuneCountInString(body); chars > 65536 || len(body) > prcomment.MaxBody {
		t.Errorf("the comment is %d characters (%d bytes)", chars, len(body))
	}
	inComment := bucketLines(body)
	left := 0
	for _, b := range doc.Plan.Buckets {
		if b.Status != "in-sync" && inComment[b.Name] != b.Line {
			left++
		}
	}
	if left > 0 && !strings.Contains(body, fmt.Sprintf("| … %d more buckets that drift or are blocked: the run's job summary lists them all |", left)) {
		t.Errorf("the comment leaves out %d drifting buckets without saying so", left)
	}
	for _, bl := range doc.Plan.Blockers {
		if !strings.Contains(body, "| "+bl.Code+" | "+bl.Bucket+" |") {
			t.Errorf("the comment does not list blocker %s of %s", bl.Code, bl.Bucket)
		}
	}
	t.Logf("comment: %d bytes, %d drifting buckets left out", len(body), left)
	var names []string
	for _, b := range doc.Plan.Buckets {
		names = append(names, b.Name)
	}
	checkFooter(t, body, summary, ws, names)
}

// checkFooter checks each claim of a plan comment's footer against the job summary and the
// workspace.
func checkFooter(t *testing.T, body, summary, ws string, buckets []string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^<sub>The run's \[job summary\]\([^)]*\) has (.+?)\. The whole plan is in the JSON file (\S+) the run wrote \(its ` + "`plan-json`" + ` output\)\.`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the footer does not say what the job summary holds and where the JSON plan is:\n%s", body[max(0, len(body)-800):])
	}
	holds, file := m[1], m[2]
	if _, err := os.Stat(filepath.Join(ws, file)); err != nil {
		t.Errorf("the footer names the JSON plan %s: %v", file, err)
	}
	lines := bucketLines(summary)
	switch {
	case strings.HasPrefix(holds, "the full plan"):
		if !strings.Contains(summary, "#### Changes (") || strings.Contains(summary, "**Detail: ") {
			t.Errorf("the footer says the summary is the full plan; it is not")
		}
	case strings.HasPrefix(holds, "every change with its before and after"):
		if !strings.Contains(summary, "#### Changes (") || !strings.Contains(summary, "**Detail: policy statements") {
			t.Errorf("the footer says %q; the summary:\n%.600s", holds, summary)
		}
	case strings.HasPrefix(holds, "one line for each of the "):
		if !strings.HasPrefix(holds, "one line for each of the "+strconv.Itoa(len(buckets))+" buckets") {
			t.Errorf("the footer says %q of %d buckets", holds, len(buckets))
		}
		for _, b := range buckets {
			if _, ok := lines[b]; !ok {
				t.Errorf("the footer says the summary has one line per bucket; %s has none", b)
			}
		}
	case strings.HasPrefix(holds, "one line for each bucket that drifts or is blocked ("):
		if !strings.Contains(summary, "**Detail: only the buckets that drift or are blocked.**") || strings.Contains(summary, "Even so, not everything fits") {
			t.Errorf("the footer says %q; the summary:\n%.600s", holds, summary)
		}
	default:
		t.Errorf("a footer this test does not check: %q", holds)
	}
}

// bucketLineRE is a bucket's line in a summary or comment table: its name, then its policy line.
var bucketLineRE = regexp.MustCompile(`(?m)^\| ([a-z0-9][a-z0-9.-]*) \| ([0-9]+) \|`)

// bucketLines maps each bucket a summary or comment gives a line to its policy line (the first
// table that names it).
func bucketLines(md string) map[string]int {
	out := map[string]int{}
	for _, m := range bucketLineRE.FindAllStringSubmatch(md, -1) {
		if _, seen := out[m[1]]; !seen {
			n, _ := strconv.Atoi(m[2])
			out[m[1]] = n
		}
	}
	return out
}
