package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/state"
)

// fxLevels is fxBlockers with eight more drifted buckets (their bucket policies rewritten
// statement by statement, one warning whose text tries markup) and six more in sync, so that every level of detail
// drops something and more findings than GitHub annotates are left for the summary to list.
func fxLevels() *plan.Plan {
	p := fxBlockers()
	for i := range 8 {
		name := fmt.Sprintf("tenant-%02d-media", i)
		line := 70 + 8*i
		enc, pol := "set-default-encryption/"+name, "update-bucket-policy/"+name
		p.Buckets = append(p.Buckets, plan.BucketStatus{Name: name, Region: "us-east-1", Line: line, Status: plan.Drift,
			Required: "SSE-KMS alias/hls-adaptive-key (bucket key)", Observed: "SSE-S3 (AES256)", Changes: []string{enc, pol}})
		p.Changes = append(p.Changes,
			plan.Change{ID: enc, Kind: plan.SetDefaultEncryption, Bucket: name, Region: "us-east-1", Line: line,
				Before: "SSE-S3 (AES256)", After: "SSE-KMS alias/hls-adaptive-key (bucket key)",
				Details: []string{"enforce_on_upload: the rule blocks uploads encrypted with customer-provided keys (SSE-C)"}},
			plan.Change{ID: pol, Kind: plan.UpdateBucketPolicy, Bucket: name, Region: "us-east-1", Line: line,
				Before: "no sseguard statements", After: "statements SseguardDenyOtherEncryption, SseguardDenyInsecureTransport",
				Details: []string{"add statement SseguardDenyOtherEncryption: Deny * s3:PutObject when x-amz-server-side-encryption is present and not aws:kms",
					"add statement SseguardDenyInsecureTransport: Deny * s3:* when aws:SecureTransport is false"}})
	}
	// The re-encryption names its engine and, as the planner writes them, a few of its objects.
	for i, c := range p.Changes {
		if c.Kind == plan.ReencryptObjects {
			o := p.Buckets[0].Objects
			p.Changes[i].Details = append([]string{"engine: local (47 objects to fix)"}, plan.SampleDetails(o.Sample, o.TotalToFix())...)
		}
	}
	for i := range 6 {
		p.Buckets = append(p.Buckets, plan.BucketStatus{Name: fmt.Sprintf("archive-%02d", i), Region: "eu-west-1", Line: 140 + 4*i,
			Status: plan.InSync, Required: "SSE-S3 (AES256)", Observed: "SSE-S3 (AES256)"})
	}
	p.Warnings = append(p.Warnings, plan.Warning{Code: plan.WarnBucketPolicyUnjudged, Bucket: "tenant-03-media", Line: 94,
		Message: "statement <img src=x onerror=alert(1)> by @octocat [click](https://evil.example) is not judged"})
	return p
}

// atLevel renders p at one level of detail, as MarkdownShown does once it has chosen it.
func atLevel(p *plan.Plan, opts MarkdownOptions, d Detail) string {
	r := newMDRenderer(p, opts)
	r.fullBytes = len(r.render(DetailFull))
	return r.render(d)
}

// levelCaps are caps that make MarkdownShown choose each level: the size of the level's own
// rendering, which must be smaller than the level above.
func levelCaps(t *testing.T, p *plan.Plan, opts MarkdownOptions) map[Detail]int {
	t.Helper()
	caps := map[Detail]int{}
	prev := -1
	for d := DetailFull; d <= DetailDrifting; d++ {
		o := opts
		o.MaxBytes = 1 << 30
		if d > DetailFull {
			o.MaxBytes = caps[d-1] - 1
		}
		n := len(atLevel(p, o, d))
		if prev >= 0 && n >= prev {
			t.Fatalf("level %q is %d bytes, not smaller than the level above (%d)", d, n, prev)
		}
		caps[d], prev = n, n
	}
	return caps
}

// Each level of detail has a golden file: what it keeps, what it drops, and its note.
func TestMarkdownLevelsGolden(t *testing.T) {
	t.Parallel()
	p := fxLevels()
	opts := MarkdownOptions{Mode: "plan", JSONFile: "sseguard-plan.json"}
	caps := levelCaps(t, p, opts)
	names := map[Detail]string{DetailFull: "full.md", DetailNoStatements: "no-statements.md", DetailNoSamples: "no-samples.md",
		DetailBucketLines: "bucket-lines.md", DetailDrifting: "drifting.md"}
	for d, name := range names {
		o := opts
		o.MaxBytes = caps[d]
		md, shown := MarkdownShown(p, o)
		if shown.Detail != d || len(md) > caps[d] {
			t.Errorf("%s: cap %d gave level %q in %d bytes", name, caps[d], shown.Detail, len(md))
		}
		mdGolden(t, "markdown/levels", name, md)
	}
	// Below the drifting level's size, its lists are cut and say how many they left out.
	o := opts
	o.MaxBytes = caps[DetailDrifting] - 300
	md, shown := MarkdownShown(p, o)
	if shown.Detail != DetailDrifting || !shown.LeftOut.Any() || len(md) > o.MaxBytes {
		t.Errorf("cut: level %q, left out %+v, %d bytes for a cap of %d", shown.Detail, shown.LeftOut, len(md), o.MaxBytes)
	}
	mdGolden(t, "markdown/levels", "drifting-cut.md", md)
}

// What each level keeps and drops, checked on the plan's own values rather than on a golden.
func TestMarkdownLevelsKeepAndDrop(t *testing.T) {
	t.Parallel()
	p := fxLevels()
	opts := MarkdownOptions{Mode: "plan", JSONFile: "plan.json"}
	caps := levelCaps(t, p, opts)
	statement, sample, prose := "add statement SseguardDenyOtherEncryption", "videos/intro&#124;1080p.m3u8", "| SSE-S3 (AES256) | SSE-KMS alias/hls-adaptive-key (bucket key) |"
	for d := DetailFull; d <= DetailDrifting; d++ {
		o := opts
		o.MaxBytes = caps[d]
		md, _ := MarkdownShown(p, o)
		for what, want := range map[string]bool{
			statement:                           d < DetailNoStatements,
			sample:                              d < DetailNoSamples,
			prose:                               d < DetailBucketLines,
			"| build-logs | 35 |":               d < DetailDrifting,
			"> **Detail: " + d.String() + ".**": d > DetailFull,
			"Not annotated: 6 findings":         true,
			"- line 94 (warning): bucket-policy-unjudged-statement": true,
		} {
			if got := strings.Contains(md, what); got != want {
				t.Errorf("level %q: holds %q = %v, want %v", d, what, got, want)
			}
		}
		// Never dropped: every bucket that drifts or is blocked, every blocker and warning with
		// its policy line.
		lines := bucketLines(md)
		for _, bs := range p.Buckets {
			if bs.Status != plan.InSync && lines[mdText(bs.Name)] != bs.Line {
				t.Errorf("level %q: no line for bucket %s at policy line %d", d, bs.Name, bs.Line)
			}
		}
		for _, bl := range p.Blockers {
			if !strings.Contains(md, "| "+bl.Code+" | "+bl.Bucket+" | ") || !strings.Contains(md, " | "+strconv.Itoa(bl.Line)+" | "+mdText(bl.Message)) {
				t.Errorf("level %q: blocker %s of %s is not shown with its line and message", d, bl.Code, bl.Bucket)
			}
		}
		for _, w := range p.Warnings {
			if !strings.Contains(md, fmt.Sprintf("line %d): %s", w.Line, mdText(w.Message))) {
				t.Errorf("level %q: warning %s is not shown with its line", d, w.Code)
			}
		}
		mdCheckTables(t, d.String(), md)
	}
}

// A summary over the cap sheds detail and never the buckets: with thousands of buckets it keeps
// one line for every one that drifts or is blocked, and under a smaller cap it says exactly how
// many it left out, in the note and in each cut list.
func TestMarkdownCap(t *testing.T) {
	t.Parallel()
	p := fxBlockers()
	full := Markdown(p, MarkdownOptions{JSONFile: "plan.json"})
	for _, limit := range []int{len(full), 4096, 2500} {
		got, shown := MarkdownShown(p, MarkdownOptions{MaxBytes: limit, JSONFile: "plan.json"})
		if len(got) > limit {
			t.Errorf("cap %d: summary is %d bytes", limit, len(got))
		}
		if (limit < len(full)) != strings.Contains(got, "> [!NOTE]\n> **Detail: "+shown.Detail.String()+".**") {
			t.Errorf("cap %d: the note does not say the level (%s)", limit, shown.Detail)
		}
		if !strings.HasPrefix(got, "### ⛔ sseguard plan: 3 blockers") {
			t.Errorf("cap %d: lost the verdict line: %.80q", limit, got)
		}
	}

	huge := fxHuge()
	md, shown := MarkdownShown(huge, MarkdownOptions{JSONFile: "plan.json"})
	if len(md) > DefaultMarkdownMax || shown.Detail != DetailDrifting || shown.LeftOut.Buckets != 0 {
		t.Errorf("huge: %d bytes at level %q, left out %+v", len(md), shown.Detail, shown.LeftOut)
	}
	if !strings.Contains(md, "| 6000 | 1998 | 3996 | 6 |") || !strings.Contains(md, "plan.json") {
		t.Errorf("the huge summary lacks the counts or the JSON file")
	}
	lines := bucketLines(md)
	for _, bs := range huge.Buckets {
		if named := lines[bs.Name] == bs.Line; named != (bs.Status != plan.InSync) {
			t.Errorf("huge: bucket %s (%s) has a line = %v", bs.Name, bs.Status, named)
		}
	}
	for _, bl := range huge.Blockers {
		if !strings.Contains(md, "| bucket-missing | "+bl.Bucket+" |") {
			t.Errorf("huge: blocker of %s not listed", bl.Bucket)
		}
	}

	// 64 KiB: not every drifting bucket fits. The counts said are the counts left out.
	md, shown = MarkdownShown(huge, MarkdownOptions{JSONFile: "plan.json", MaxBytes: 64 << 10})
	if len(md) > 64<<10 {
		t.Fatalf("64 KiB cap: %d bytes", len(md))
	}
	named := 0
	lines = bucketLines(md)
	for _, bs := range huge.Buckets {
		if bs.Status != plan.InSync && lines[bs.Name] == bs.Line {
			named++
		}
	}
	left := 4002 - named
	if left == 0 || shown.LeftOut.Buckets != left {
		t.Errorf("64 KiB cap: %d buckets named, LeftOut %+v, want %d left out", named, shown.LeftOut, left)
	}
	for _, want := range []string{
		fmt.Sprintf("| … %d more buckets that drift or are blocked: the JSON plan plan.json lists them all | | | |", left),
		fmt.Sprintf("Even so, not everything fits; not listed here: %d buckets that drift or are blocked", left),
		"1998 buckets in sync are counted, not listed",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("64 KiB cap: the summary lacks %q", want)
		}
	}
	if !strings.Contains(shown.Holds(), fmt.Sprintf("%d buckets that drift or are blocked", left)) {
		t.Errorf("Holds does not say what was left out: %s", shown.Holds())
	}
}

// bucketLineRE is a bucket's line in a summary: its name, then its policy line.
var bucketLineRE = regexp.MustCompile(`(?m)^\| ([^|]+) \| ([0-9]+) \|`)

// bucketLines maps each bucket a summary (or comment) gives a line of its own to its policy line
// (the first table naming it: the existing objects table comes after).
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

// A comment view: the verdict, blockers, buckets and changes while they fit, then one line per
// bucket, then the drifting ones; never key findings, warnings, objects or cost.
func TestMarkdownComment(t *testing.T) {
	t.Parallel()
	p := fxLevels()
	full, shown := MarkdownShown(p, MarkdownOptions{Mode: "plan", Comment: true, MaxBytes: 1 << 20})
	if shown.Detail != DetailFull || !strings.Contains(full, "#### Changes (") {
		t.Errorf("full comment: level %q\n%s", shown.Detail, full)
	}
	lines, shown := MarkdownShown(p, MarkdownOptions{Mode: "plan", Comment: true, MaxBytes: len(full) - 1})
	if shown.Detail != DetailBucketLines || strings.Contains(lines, "#### Changes (") || !strings.Contains(lines, "#### Buckets (20)") {
		t.Errorf("comment one line per bucket: level %q\n%s", shown.Detail, lines)
	}
	cut, shown := MarkdownShown(p, MarkdownOptions{Mode: "plan", Comment: true, MaxBytes: 1500, Elsewhere: "the run's job summary"})
	if shown.Detail != DetailDrifting || !shown.LeftOut.Any() || len(cut) > 1500 || !strings.Contains(cut, "the run's job summary lists them all") {
		t.Errorf("cut comment: level %q, left out %+v, %d bytes\n%s", shown.Detail, shown.LeftOut, len(cut), cut)
	}
	for _, md := range []string{full, lines, cut} {
		for _, gone := range []string{"#### Key policies", "#### Warnings", "<details>", "#### Existing objects", "#### Cost", "Not annotated", "warnings"} {
			if strings.Contains(md, gone) {
				t.Errorf("the comment holds %q, which belongs to the job summary only:\n%s", gone, md)
			}
		}
	}
}

// At one line per bucket, a key pending deletion is shouted once, with how many buckets it stops;
// a key the blockers name by no alias is known by its message, escaped.
func TestShoutByKey(t *testing.T) {
	t.Parallel()
	p := fxInSync()
	msg := "KEY arn:aws:kms:us-east-1:123456789012:key/x IS PENDING DELETION <img src=x> @octocat"
	for i := range p.Buckets {
		p.Buckets[i].Status = plan.Blocked
		p.Blockers = append(p.Blockers, plan.Blocker{Code: plan.BlockKeyPendingDelete, Bucket: p.Buckets[i].Name, Line: p.Buckets[i].Line, Message: msg})
	}
	md := atLevel(p, MarkdownOptions{}, DetailBucketLines)
	want := "> **A key is pending deletion: objects encrypted under it become unreadable for good once it is deleted.** " + mdText(msg) +
		". It stops 3 buckets (see the blockers below).\n"
	if strings.Count(md, "> **A key") != 1 || !strings.Contains(md, want) {
		t.Errorf("want one shout %q:\n%s", want, md)
	}
}

// Past the per-bucket table, the buckets the policy does not name are counted and pointed at;
// a listing that failed keeps its (escaped) warning.
func TestUnmanagedAtOneLinePerBucket(t *testing.T) {
	t.Parallel()
	p := fxUnmanaged()
	md := atLevel(p, MarkdownOptions{JSONFile: "plan.json"}, DetailBucketLines)
	if want := "Buckets the policy does not name (regions eu-west-1, us-east-1; reported, never changed): 4, listed in the JSON plan plan.json.\n"; !strings.Contains(md, want) {
		t.Errorf("want %q:\n%s", want, md)
	}
	p.Unmanaged = &state.Unmanaged{AllRegions: true, Err: "ListBuckets: AccessDenied <b>@admin</b>"}
	md = atLevel(p, MarkdownOptions{JSONFile: "plan.json"}, DetailDrifting)
	if !strings.Contains(md, "could not be listed for `unmanaged_buckets: report`: ListBuckets: AccessDenied &#60;b&#62;@&#8288;admin&#60;/b&#62;") {
		t.Errorf("the listing's error is not shown escaped:\n%s", md)
	}
}

// Over several accounts, each bucket's and key's line names its account; the comment at full
// detail keeps every account's buckets and changes.
func TestLevelsOverSeveralAccounts(t *testing.T) {
	t.Parallel()
	p := fxAccounts()
	md := atLevel(p, MarkdownOptions{}, DetailBucketLines)
	for _, want := range []string{
		"| account | bucket | line | region | status |",
		"| 123456789012 | media-hls | 14 | us-east-1 | 🟠 drift: ",
		"| 111122223333 | media-hls | 14 | us-east-1 | ✅ in sync |",
		"| 999988887777 | far-logs | 30 | ",
		"| account | key | region | line | changes |",
		"| 123456789012 | alias/hls-adaptive-key | us-east-1 | 5 | update-key-policy, enable-key-rotation |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("one line per bucket lacks %q:\n%s", want, md)
		}
	}
	mdCheckTables(t, "accounts", md)
	comment := Markdown(p, MarkdownOptions{Mode: "plan", Comment: true})
	for _, a := range []string{fxAccount, fxMember, fxUnreachable} {
		if !strings.Contains(comment, "### Account "+a) {
			t.Errorf("the comment lacks account %s:\n%s", a, comment)
		}
	}
	if !strings.Contains(comment, "| far-logs | 30 |") {
		t.Errorf("the comment lacks the last account's bucket:\n%s", comment)
	}
}
