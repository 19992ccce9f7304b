package prcomment

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/approval"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/report"
	"github.com/sseguard/sseguard/internal/testsupport/golden"
)

const runURL = "https://github.com/example-org/media-infra/actions/runs/123456"

func opts() Options {
	return Options{PolicyPath: "infra/sseguard.yaml", RunURL: runURL, Commit: "b7e2f4c1a9d3e5f7081a2b3c4d5e6f708192a3b4",
		Summary: &report.Shown{Detail: report.DetailFull}, Version: "v1.2.3"}
}

// driftPlan has every section report renders: changes of each family, key policy details,
// change details, a warning and object counts.
func driftPlan() *plan.Plan {
	return &plan.Plan{Account: "123456789012",
		Buckets: []plan.BucketStatus{
			{Name: "media-hls", Region: "us-east-1", Line: 9, Status: plan.Drift, Required: "SSE-KMS alias/hls (bucket key)",
				Observed: "SSE-S3 (AES256)", Changes: []string{"create-key/us-east-1/alias/hls", "set-default-encryption/media-hls", "update-bucket-policy/media-hls"},
				Objects: &plan.ObjectCounts{Scanned: 10, Compliant: 4, ToFix: map[string]int{"sse-s3": 6}}},
			{Name: "thumbs", Region: "us-east-1", Line: 17, Status: plan.InSync, Required: "SSE-S3 (AES256)", Observed: "SSE-S3 (AES256)"},
		},
		Changes: []plan.Change{
			{ID: "create-key/us-east-1/alias/hls", Kind: plan.CreateKey, Alias: "alias/hls", Region: "us-east-1", Line: 4,
				Before: "no key", After: "customer managed key alias/hls", Details: []string{"grants the transcoder use of the key"}},
			{ID: "set-default-encryption/media-hls", Kind: plan.SetDefaultEncryption, Bucket: "media-hls", Region: "us-east-1", Line: 9,
				Before: "SSE-S3 (AES256)", After: "SSE-KMS alias/hls (bucket key)"},
			{ID: "update-bucket-policy/media-hls", Kind: plan.UpdateBucketPolicy, Bucket: "media-hls", Region: "us-east-1", Line: 12,
				Before: "no policy", After: "deny uploads with another key", Details: []string{"adds statement SseguardDenyWrongKey"}},
		},
		Blockers: []plan.Blocker{},
		Warnings: []plan.Warning{{Code: plan.WarnObservedKeyDisabled, Bucket: "thumbs", Line: 17, Message: "thumbs is encrypted with a disabled key"}},
	}
}

func inSyncPlan() *plan.Plan {
	return &plan.Plan{Account: "123456789012",
		Buckets: []plan.BucketStatus{{Name: "media-hls", Region: "us-east-1", Line: 9, Status: plan.InSync,
			Required: "SSE-S3 (AES256)", Observed: "SSE-S3 (AES256)"}},
		Changes: []plan.Change{}, Blockers: []plan.Blocker{}, Warnings: []plan.Warning{}}
}

func blockedPlan() *plan.Plan {
	p := inSyncPlan()
	p.Buckets[0].Status = plan.Blocked
	p.Blockers = []plan.Blocker{{Code: plan.BlockKeyPendingDelete, Bucket: "media-hls", Alias: "alias/hls", Line: 9,
		Message: "key alias/hls is pending deletion"}}
	return p
}

// readersPlan moves media-hls to its key with a partner role as a listed reader, a public grant
// that would lose access (blocked), and a replication rule without the SSE-KMS opt-in (blocked).
func readersPlan() *plan.Plan {
	p := driftPlan()
	p.Buckets = p.Buckets[:1]
	b := &p.Buckets[0]
	b.Status, b.Changes, b.Objects = plan.Blocked, nil, nil
	b.Readers = []plan.Reader{
		{Principal: "*", Kind: "public", Statements: []string{"statement #2"}, Needs: []string{"kms:Decrypt"}, Verdict: plan.ReaderCannotDecrypt,
			Reason: "the key policy does not allow it kms:Decrypt"},
		{Principal: "arn:aws:iam::111122223333:role/Player", Kind: "principal", Statements: []string{`statement "PartnerRead"`},
			Needs: []string{"kms:Decrypt"}, Verdict: plan.ReaderCanDecrypt, Listed: true},
	}
	b.Replication = &plan.Replication{Role: "arn:aws:iam::123456789012:role/replication", Rules: []plan.ReplicationRule{
		{ID: "to-dr", Priority: 1, Status: "Enabled", Destination: "arn:aws:s3:::media-hls-dr",
			Lacks: []string{"the SSE-KMS opt-in (SourceSelectionCriteria.SseKmsEncryptedObjects Status Enabled)"}}}}
	p.Changes, p.Warnings = []plan.Change{}, []plan.Warning{}
	p.Blockers = []plan.Blocker{
		{Code: plan.BlockReaderCannotDecrypt, Bucket: "media-hls", Line: 9, Message: "everyone may read the objects of media-hls but could not once they are encrypted under alias/hls"},
		{Code: plan.BlockReplicationKMS, Bucket: "media-hls", Line: 9, Message: "replication rule \"to-dr\" of media-hls would stop replicating: it lacks the SSE-KMS opt-in"},
	}
	return p
}

// withApproval is opts with the fingerprint of p in the comment's hidden line.
func withApproval(t *testing.T, p *plan.Plan) Options {
	t.Helper()
	fp, err := approval.OfPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	o := opts()
	o.Approval = &fp
	return o
}

func TestPlanBodyGolden(t *testing.T) {
	t.Parallel()
	drift := PlanBody(driftPlan(), opts(), "")
	tests := map[string]string{
		"drift.md":          drift,
		"blocked.md":        PlanBody(blockedPlan(), opts(), ""),
		"in-sync-new.md":    PlanBody(inSyncPlan(), opts(), ""),
		"back-in-sync.md":   PlanBody(inSyncPlan(), opts(), drift),
		"failure.md":        FailureBody("the policy does not validate (2 problems)", opts()),
		"no-run-link.md":    PlanBody(inSyncPlan(), Options{PolicyPath: "sseguard.yaml", Summary: &report.Shown{}}, ""),
		"in-sync-still.md":  PlanBody(inSyncPlan(), opts(), PlanBody(inSyncPlan(), opts(), "")),
		"after-failure.md":  PlanBody(inSyncPlan(), opts(), FailureBody("stopped", opts())),
		"blocked-before.md": PlanBody(inSyncPlan(), opts(), PlanBody(blockedPlan(), opts(), "")),
		"readers.md":        PlanBody(readersPlan(), opts(), ""),
		"approval.md":       PlanBody(driftPlan(), withApproval(t, driftPlan()), ""),
	}
	for name, got := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			golden.Check(t, filepath.Join("testdata", name), got)
		})
	}
}

// The comment keeps what a reviewer approves (verdict, blockers, buckets, changes) and links the
// rest: report's other sections stay in the job summary.
func TestPlanBodySections(t *testing.T) {
	t.Parallel()
	p := driftPlan()
	p.Blockers = []plan.Blocker{{Code: plan.BlockRegionMismatch, Bucket: "thumbs", Line: 17, Message: "thumbs is in eu-west-1"}}
	body := PlanBody(p, opts(), "")
	for _, want := range []string{
		Marker("infra/sseguard.yaml") + "\n" + statusLine(StatusBlocked) + "\n",
		"### ⛔ sseguard plan: 1 blocker, 3 changes pending",
		"#### ⛔ Blockers", "| region-mismatch | thumbs |",
		"#### Buckets", "| media-hls | 9 | us-east-1 |",
		"#### Changes (3)", "| set-default-encryption/media-hls | 9 |",
		"The run's [job summary](" + runURL + ") has the full plan",
		"Planned for commit b7e2f4c1a9d3.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
	for _, gone := range []string{"#### Key policies", "#### Warnings", "<details>", "#### Existing objects", "#### Cost"} {
		if strings.Contains(body, gone) {
			t.Errorf("the comment holds %q, which belongs to the job summary only:\n%s", gone, body)
		}
	}
	if !strings.HasPrefix(body, Marker("infra/sseguard.yaml")+"\n") {
		t.Errorf("the marker is not the first line:\n%s", body)
	}
}

// Values from AWS and the policy reach the comment escaped by report: no mention that notifies
// anyone, no HTML, no link, no new line or heading, and the hidden lines stay sseguard's own.
func TestPlanBodyEscapesHostileValues(t *testing.T) {
	t.Parallel()
	hostile := "@octocat <img src=x onerror=alert(1)> [click](https://evil.example) https://evil.example\n#### Cost\n<!-- sseguard:status:in-sync --> see #42, gh-7 and acme/infra#9"
	p := &plan.Plan{Account: "@admins",
		Buckets: []plan.BucketStatus{{Name: hostile, Region: "us-east-1", Line: 3, Status: plan.Drift, Required: hostile, Observed: "@team/security",
			Changes: []string{"set-default-encryption/x"}}},
		Changes: []plan.Change{{ID: "set-default-encryption/" + hostile, Kind: plan.SetDefaultEncryption, Bucket: hostile, Line: 3,
			Before: "<script>x</script>", After: "`code` *bold* | pipe"}},
		Blockers: []plan.Blocker{{Code: "c@x", Bucket: hostile, Line: 3, Message: hostile}},
	}
	o := opts()
	o.PolicyPath = "pol -->\n@octocat.yaml"
	body := PlanBody(p, o, "")
	lines := strings.Split(body, "\n")
	if lines[0] != Marker(o.PolicyPath) || lines[1] != statusLine(StatusBlocked) {
		t.Fatalf("hidden lines = %q, %q", lines[0], lines[1])
	}
	for i, l := range lines[2:] {
		if strings.Contains(l, "<!--") {
			t.Errorf("line %d holds an HTML comment: %q", i+3, l)
		}
	}
	for _, re := range []string{
		`@[A-Za-z0-9]`,                // a mention (report puts a word joiner after every @)
		`<(img|script|a )`,            // raw HTML
		`\]\(https://evil`,            // a link
		`https?://evil`,               // an autolink
		"(?m)^#### Cost",              // a heading of its own
		`(?:^|[^&])#[0-9]|&#35;[0-9]`, // an issue reference (#42, acme/infra#9)
		`(?i)\bgh-[0-9]`,              // an issue reference (GH-7)
		"(?m)^[^|#<>\\-`*0-9 \n]",     // a line that is not sseguard's own markup
	} {
		if m := regexp.MustCompile(re).FindString(body); m != "" {
			t.Errorf("the comment holds %q (matching %s):\n%s", m, re, body)
		}
	}
}

// bigPlan has n drifted buckets with long names, each with two changes.
func bigPlan(n int) *plan.Plan {
	p := &plan.Plan{Account: "123456789012", Blockers: []plan.Blocker{}, Warnings: []plan.Warning{}}
	for i := range n {
		name := fmt.Sprintf("bucket-with-a-rather-long-name-%04d", i)
		enc, pol := "set-default-encryption/"+name, "update-bucket-policy/"+name
		p.Buckets = append(p.Buckets, plan.BucketStatus{Name: name, Region: "us-east-1", Line: i + 1, Status: plan.Drift,
			Required: "SSE-KMS alias/hls (bucket key)", Observed: "SSE-S3 (AES256)", Changes: []string{enc, pol}})
		p.Changes = append(p.Changes,
			plan.Change{ID: enc, Kind: plan.SetDefaultEncryption, Bucket: name, Line: i + 1, Before: "SSE-S3 (AES256)", After: "SSE-KMS alias/hls (bucket key)"},
			plan.Change{ID: pol, Kind: plan.UpdateBucketPolicy, Bucket: name, Line: i + 1, Before: "no policy", After: "deny uploads with another key"})
	}
	return p
}

// A plan too long for a comment sheds detail: one line per bucket while it fits, then as many
// drifting buckets as fit and exactly how many more, with where they are.
func TestPlanBodyFitsGitHubsLimit(t *testing.T) {
	t.Parallel()
	for _, n := range []int{300, 3000} {
		p := bigPlan(n)
		o := opts()
		o.Summary = &report.Shown{Detail: report.DetailBucketLines, Buckets: n}
		body := PlanBody(p, o, "")
		if len(body) > MaxBody {
			t.Fatalf("%d buckets: the comment is %d bytes, over %d", n, len(body), MaxBody)
		}
		named := 0
		for _, bs := range p.Buckets {
			if strings.Contains(body, "\n| "+bs.Name+" | "+fmt.Sprint(bs.Line)+" | us-east-1 | 🟠 drift: set-default-encryption, update-bucket-policy |\n") {
				named++
			}
		}
		more := fmt.Sprintf("| … %d more buckets that drift or are blocked: the run's job summary lists them all |", n-named)
		switch {
		case n == 300 && (named != n || !strings.Contains(body, "**Detail: one line per bucket.**")):
			t.Errorf("300 buckets: %d named, want every one on its own line:\n%.2000s", named, body)
		case n == 3000 && (named == 0 || named == n || !strings.Contains(body, more)):
			t.Errorf("3000 buckets: %d named, and no %q", named, more)
		}
		if !strings.Contains(body, "The run's [job summary]("+runURL+") has one line for each of the "+fmt.Sprint(n)+" buckets") {
			t.Errorf("%d buckets: the footer does not say what the job summary holds:\n%s", n, body[len(body)-600:])
		}
	}
}

// The footer says what the job summary holds at its level, where the JSON plan is, and where a
// list the comment cut is whole: the summary only when it lists them all.
func TestPlanBodyFooterIsTrue(t *testing.T) {
	t.Parallel()
	p := bigPlan(3000)
	o := opts()
	o.JSONFile = "sseguard-plan-infra-sseguard.json"
	o.Summary = &report.Shown{Detail: report.DetailDrifting, Buckets: 3000, LeftOut: report.LeftOut{Buckets: 17}}
	body := PlanBody(p, o, "")
	for _, want := range []string{
		"has one line for each bucket that drifts or is blocked, the blockers and the warnings, as many as fit under its size cap (it says how many more: 17 buckets that drift or are blocked)",
		"The whole plan is in the JSON file sseguard-plan-infra-sseguard.json the run wrote (its `plan-json` output).",
		"the JSON plan sseguard-plan-infra-sseguard.json the run wrote lists them all",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body[len(body)-1500:])
		}
	}
	o.Summary, o.JSONFile = nil, ""
	body = PlanBody(p, o, "")
	if !strings.Contains(body, "The run's log has the whole plan (the run wrote no job summary).") || !strings.Contains(body, "the run's log lists them all") {
		t.Errorf("without a job summary the footer should point at the log:\n%s", body[len(body)-800:])
	}
	o.JSONFile = "a@b <img>.json"
	if body = PlanBody(inSyncPlan(), o, ""); strings.Contains(body, "<img") || strings.Contains(body, "a@b") {
		t.Errorf("the JSON file's name is not escaped:\n%s", body)
	}
}

func TestFooterLinksOnlySafeURLs(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		url  string
		link bool
	}{
		"github.com":        {runURL, true},
		"enterprise server": {"https://ghe.example.com/org/repo/actions/runs/9", true},
		"closing paren":     {"https://github.com/o/r/actions/runs/1)[x](https://evil.example", false},
		"javascript":        {"javascript:alert(1)", false},
		"space":             {"https://github.com/o/r/actions runs/1", false},
		"no host":           {"https:///o/r", false},
		"empty":             {"", false},
	}
	for name, tc := range tests {
		f := footer(Options{RunURL: tc.url}, "x")
		if got := strings.Contains(f, "]("); got != tc.link {
			t.Errorf("%s: footer links = %v, want %v: %s", name, got, tc.link, f)
		}
	}
	if f := footer(Options{Commit: "not-a-sha @octocat"}, "x"); strings.Contains(f, "commit") {
		t.Errorf("footer shows a commit that is not a SHA: %s", f)
	}
}

// The footer says which sseguard made the comment, escaped: the version is the build's own, yet
// nothing written into a comment is trusted to be inert.
func TestFooterSaysTheVersion(t *testing.T) {
	t.Parallel()
	o := opts()
	o.Version = "v1<img src=x>@team [x](https://evil.example)"
	for name, body := range map[string]string{"plan": PlanBody(inSyncPlan(), o, ""), "failure": FailureBody("stopped", o)} {
		if !strings.Contains(body, "Made by sseguard v1&#60;img src=x&#62;@&#8288;team &#91;x&#93;(https&#58;//evil.example).") {
			t.Errorf("%s: the footer does not say the version, escaped:\n%s", name, body)
		}
		if strings.Contains(body, "<img") || strings.Contains(body, "@team") {
			t.Errorf("%s: the version became markup:\n%s", name, body)
		}
	}
	o.Version = ""
	if body := PlanBody(inSyncPlan(), o, ""); strings.Contains(body, "Made by") {
		t.Errorf("a comment without a version says one:\n%s", body)
	}
}
