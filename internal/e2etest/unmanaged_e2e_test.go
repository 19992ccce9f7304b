package e2etest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/jsonplan"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// End-to-end tests of unmanaged_buckets (issue 12 §4): the built binary, under the IAM policy
// `sseguard iam-policy` generates, through the strict layer. The emulator is shared by the whole
// suite, so the account holds other tests' buckets too: every check looks at this test's buckets
// (named with its namespace) and requires exactly the ones the policy does not name.

// listCalls counts the ListBuckets requests (s3:ListAllMyBuckets) the test's sseguard key sent.
func (e *e2e) listCalls() int {
	n := 0
	for _, a := range layer.Actions() {
		if a.AccessKeyID == e.key && a.Action == "s3:ListAllMyBuckets" {
			n++
		}
	}
	return n
}

// ours keeps the names that belong to this test, sorted.
func (e *e2e) ours(names []string) []string {
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, "-"+e.ns) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// unmanagedJSON reads plan.unmanaged_buckets of a JSON plan: this test's buckets, by name.
func (e *e2e) unmanagedJSON(path string) (*jsonplan.Unmanaged, map[string]jsonplan.UnmanagedBucket) {
	e.t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	checkPlanSchema(e.t, path, raw)
	var doc jsonplan.Document
	if err := json.Unmarshal(raw, &doc); err != nil {
		e.t.Fatalf("%s: %v", path, err)
	}
	if doc.Plan.Unmanaged == nil {
		return nil, nil
	}
	byName := map[string]jsonplan.UnmanagedBucket{}
	for _, b := range doc.Plan.Unmanaged.Buckets {
		if len(e.ours([]string{b.Name})) == 1 {
			byName[b.Name] = b
		}
	}
	return doc.Plan.Unmanaged, byName
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestE2EUnmanagedBuckets(t *testing.T) {
	e := newSequentialE2E(t)
	managed, kmsManaged := e.name("managed"), e.name("managed-kms")
	aes, kmsB, plain, ireland := e.name("other-aes"), e.name("other-kms"), e.name("other-plain"), e.name("other-eu")
	for _, b := range []string{managed, kmsManaged, aes, kmsB, plain} {
		e.aws("s3api", "create-bucket", "--bucket", b)
	}
	e.aws("s3api", "create-bucket", "--bucket", ireland, "--region", "eu-west-1", "--create-bucket-configuration", "LocationConstraint=eu-west-1")
	e.aws("s3api", "put-bucket-encryption", "--bucket", aes, "--server-side-encryption-configuration",
		`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`)
	keyARN := dig(e.aws("kms", "create-key", "--description", "someone else's"), "KeyMetadata", "Arn").(string)
	e.aws("s3api", "put-bucket-encryption", "--bucket", kmsB, "--server-side-encryption-configuration",
		`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"`+keyARN+`"},"BucketKeyEnabled":true}]}`)
	body := "version: 1\n%sbuckets:\n  - name: " + managed + "\n    encryption: sse-s3\n  - name: " + kmsManaged + "\n    encryption: sse-s3\n"
	write := func(field string) string { return e.policy(strings.Replace(body, "%s", field, 1)) }

	// The default (ignore) lists nothing: no ListBuckets request at all, nothing in the JSON.
	jsonPath := filepath.Join(e.dir, "plan.json")
	code, out := e.sseguard(nil, "plan", "--policy", write(""), "--json", jsonPath)
	if code != 0 || strings.Contains(out, "does not name") {
		t.Fatalf("plan with the default = %d, want 0 and no unmanaged section\n%s", code, out)
	}
	if n := e.listCalls(); n != 0 {
		t.Errorf("unmanaged_buckets: ignore sent %d ListBuckets requests", n)
	}
	if u, _ := e.unmanagedJSON(jsonPath); u != nil {
		t.Errorf("the JSON plan has unmanaged_buckets without the policy asking: %+v", u)
	}

	// report: the regions the policy uses (us-east-1 here), exactly the buckets it does not name,
	// with their encryption, in the text and the JSON; the plan itself is unchanged (exit 0). A
	// bucket never configured has S3's default for new buckets (the layer answers as AWS does
	// since 2026: SSE-S3 with SSE-C blocked).
	const newDefault = "SSE-S3 (AES256), SSE-C uploads blocked"
	wantEnc := map[string]string{aes: "SSE-S3 (AES256)", kmsB: "SSE-KMS " + keyARN + " (bucket key)", plain: newDefault}
	code, out = e.sseguard(nil, "plan", "--policy", write("unmanaged_buckets: report\n"), "--json", jsonPath, "--detailed-exitcode")
	if code != 0 {
		t.Fatalf("plan with report = %d, want 0 (unmanaged buckets change nothing)\n%s", code, out)
	}
	if e.listCalls() == 0 {
		t.Errorf("report sent no ListBuckets request")
	}
	section := regexp.MustCompile(`(?m)^Buckets the policy does not name \(region us-east-1; reported, never changed\): \d+\n((?:  .*\n)*)`).FindStringSubmatch(out)
	if section == nil {
		t.Fatalf("no unmanaged section in the text:\n%s", out)
	}
	textRows := map[string]string{}
	for _, line := range strings.Split(strings.TrimRight(section[1], "\n"), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && len(e.ours(f[:1])) == 1 {
			textRows[f[0]] = strings.Join(f[2:], " ")
			if f[1] != "us-east-1" {
				t.Errorf("text row %q: region %s", line, f[1])
			}
		}
	}
	if diff := cmpMaps(wantEnc, textRows); diff != "" {
		t.Errorf("text lists (want | got):\n%s\n%s", diff, out)
	}
	u, rows := e.unmanagedJSON(jsonPath)
	if u == nil || u.AllRegions || !slices.Equal(u.Regions, []string{"us-east-1"}) || u.Error != "" {
		t.Fatalf("JSON unmanaged_buckets = %+v", u)
	}
	gotEnc := map[string]string{}
	for n, b := range rows {
		gotEnc[n] = b.Encryption
	}
	if diff := cmpMaps(wantEnc, gotEnc); diff != "" {
		t.Errorf("JSON lists (want | got):\n%s", diff)
	}
	if r := rows[kmsB].Rule; r == nil || r.Algorithm != "aws:kms" || r.KeyARN != keyARN || !r.BucketKey {
		t.Errorf("JSON rule of %s = %+v", kmsB, r)
	}

	// regions: all adds the bucket in Ireland; the job summary holds the collapsed section and
	// the step's output counts what the JSON lists.
	r := newRunner(e)
	all := "unmanaged_buckets: {mode: report, regions: all}\n"
	if err := os.WriteFile(filepath.Join(r.ws, "sseguard.yaml"), []byte(strings.Replace(body, "%s", all, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = r.run("pull_request", "refs/pull/7/merge", map[string]string{"policy": "sseguard.yaml", "json-file": "plan.json", "comment-on-pr": "false"})
	if code != 0 {
		t.Fatalf("action plan with regions: all = %d\n%s", code, out)
	}
	u, rows = e.unmanagedJSON(filepath.Join(r.ws, "plan.json"))
	wantAll := append(keysOf(wantEnc), ireland)
	sort.Strings(wantAll)
	if u == nil || !u.AllRegions || !slices.Equal(keysOf(rows), wantAll) || rows[ireland].Region != "eu-west-1" || rows[ireland].Encryption != newDefault {
		t.Errorf("JSON with regions: all = %+v, ours %+v", u, rows)
	}
	summary := r.summaryText()
	details := regexp.MustCompile(`(?s)<details><summary>Buckets the policy does not name: (\d+) \(all regions; reported, never changed\)</summary>(.*?)</details>`).FindStringSubmatch(summary)
	if details == nil {
		t.Fatalf("no collapsed unmanaged section in the summary:\n%s", summary)
	}
	var summaryNames []string
	for _, m := range regexp.MustCompile(`(?m)^\| (\S+) \| (\S+) \| (.+) \|$`).FindAllStringSubmatch(details[2], -1) {
		summaryNames = append(summaryNames, m[1])
	}
	if got := e.ours(summaryNames); !slices.Equal(got, wantAll) {
		t.Errorf("summary lists %v, want %v", got, wantAll)
	}
	if !strings.Contains(details[2], "| "+kmsB+" | us-east-1 | SSE-KMS "+keyARN+" (bucket key) |") {
		t.Errorf("summary lacks %s with its key:\n%s", kmsB, details[2])
	}
	n, err := strconv.Atoi(r.outputs()["unmanaged-buckets"])
	if err != nil || n != len(u.Buckets) || n < len(wantAll) || details[1] != strconv.Itoa(n) {
		t.Errorf("unmanaged-buckets output = %q (err %v), JSON lists %d, summary says %s", r.outputs()["unmanaged-buckets"], err, len(u.Buckets), details[1])
	}
	for _, name := range []string{managed, kmsManaged} {
		if strings.Contains(details[2], name) {
			t.Errorf("summary lists %s, which the policy names", name)
		}
	}
}

// A bucket whose encryption cannot be read is listed with the reason, and the plan goes on; a
// listing that is refused says so. Neither is a blocker.
func TestE2EUnmanagedBucketsUnreadable(t *testing.T) {
	e := newSequentialE2E(t)
	managed, hidden := e.name("managed"), e.name("hidden")
	e.aws("s3api", "create-bucket", "--bucket", managed)
	e.aws("s3api", "create-bucket", "--bucket", hidden)
	pol := e.policy("version: 1\nunmanaged_buckets: report\nbuckets:\n  - name: " + managed + "\n    encryption: sse-s3\n")

	// The generated plan policy, with reading this one bucket's encryption denied on top.
	generated := func() map[string]any {
		out, err := exec.Command(genBinary, "iam-policy", "--role", "plan", "--policy", pol, "--account", motoserver.Account).Output()
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	deny := func(action, resource string) {
		doc := generated()
		doc["Statement"] = append(doc["Statement"].([]any), map[string]any{"Effect": "Deny", "Action": action, "Resource": resource})
		b, _ := json.Marshal(doc)
		if err := layer.SetIdentityPolicy(e.key, string(b)); err != nil {
			t.Fatal(err)
		}
	}
	e.ownIAM = true
	deny("s3:GetEncryptionConfiguration", "arn:aws:s3:::"+hidden)
	jsonPath := filepath.Join(e.dir, "plan.json")
	code, out := e.sseguard(e.runEnv(), "plan", "--policy", pol, "--json", jsonPath)
	if code != 0 || !regexp.MustCompile(`(?m)^  `+hidden+` +us-east-1 +could not be read: read default encryption: s3:GetEncryptionConfiguration was refused: .*AccessDenied`).MatchString(out) {
		t.Errorf("plan = %d, want 0 and %s listed with the refusal\n%s", code, hidden, out)
	}
	if _, rows := e.unmanagedJSON(jsonPath); rows[hidden].Error == "" || rows[hidden].Encryption != "" {
		t.Errorf("JSON entry of %s = %+v, want the error", hidden, rows[hidden])
	}

	deny("s3:ListAllMyBuckets", "*")
	code, out = e.sseguard(e.runEnv(), "plan", "--policy", pol, "--json", jsonPath)
	if code != 0 || !strings.Contains(out, "Buckets the policy does not name (region us-east-1; reported, never changed): could not be listed: list the account's buckets (s3:ListAllMyBuckets):") {
		t.Errorf("plan with the listing refused = %d, want 0 and the refusal said\n%s", code, out)
	}
	if u, _ := e.unmanagedJSON(jsonPath); u == nil || u.Error == "" || len(u.Buckets) != 0 {
		t.Errorf("JSON with the listing refused = %+v", u)
	}
	var refusedList bool
	for _, a := range layer.Refused() {
		refusedList = refusedList || (a.AccessKeyID == e.key && a.Action == "s3:ListAllMyBuckets")
	}
	if !refusedList {
		t.Errorf("the layer recorded no refused ListBuckets:\n%s", awstest.FormatActions(layer.Refused()))
	}
}

// cmpMaps describes how two string maps differ, or "" when they are equal.
func cmpMaps(want, got map[string]string) string {
	var diff []string
	for _, k := range keysOf(want) {
		if got[k] != want[k] {
			diff = append(diff, k+": "+want[k]+" | "+got[k])
		}
	}
	for _, k := range keysOf(got) {
		if _, ok := want[k]; !ok {
			diff = append(diff, k+": (absent) | "+got[k])
		}
	}
	return strings.Join(diff, "\n")
}
