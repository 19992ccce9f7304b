package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sseguard/sseguard/internal/testsupport"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// These end-to-end tests build the real binary, set up drift with the AWS CLI (or boto3) against a
// real moto_server behind the strict AWS layer (internal/testsupport/awstest: S3's bucket-policy conditions,
// KMS's error codes, UpdateObjectEncryption, eventual consistency, IAM checks, as AWS documents
// them), run sseguard as a user would, and check the result with the AWS CLI again: nothing in
// them trusts sseguard's own reading of AWS.
//
// One moto and one layer serve the whole package; tests run in parallel, each with its own bucket,
// key and role names (e.name) and its own access keys. sseguard runs with an access key whose IAM
// policy is the one `sseguard iam-policy` generates for the role in use (plan or apply): any request
// the layer refuses fails the test (issue "Who gets access, and when": least privilege, proven).
//
// The fast tier (go test ./...) runs at least one test of every behaviour, at small scale; the
// heavy scenarios call longTier and run only in the long tier. SSEGUARD_LONG=1 runs them all, and
// the large scenarios at full size (2,000 objects, kill and resume).
// SSEGUARD_BINARY=/path runs the tests against another build of sseguard (e.g. one built from an
// earlier commit, to see a test fail on the code it was written against).

var (
	// binary is the sseguard under test; genBinary is always built from this tree (it writes the
	// IAM policies the runs get, whatever binary is tested).
	binary, genBinary string
	layer             *awstest.Layer
	// long runs the large scenarios at full size (read in TestMain, so that go test's cache
	// knows the run depends on it).
	long bool
)

func TestMain(m *testing.M) {
	long = os.Getenv("SSEGUARD_LONG") == "1"
	// The fast tier's tests mostly wait: on moto, on the AWS CLI and on sseguard's own retries.
	// Not the long tier's: its scenarios keep the one moto busy by themselves, and run together
	// eight at a time they starve each other past their own deadlines (a kill-and-resume run saw
	// 53 of its 666 copies in two minutes).
	flag.Parse()
	if !long {
		testsupport.RaiseParallel(testsupport.WaitingParallel())
	}
	dir, err := os.MkdirTemp("", "sseguard-e2e-")
	if err != nil {
		panic(err)
	}
	genBinary = filepath.Join(dir, "sseguard")
	build := exec.Command("go", "build", "-o", genBinary, "github.com/sseguard/sseguard")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.Stderr.WriteString("build sseguard: " + err.Error() + "\n")
		os.Exit(1)
	}
	binary = genBinary
	if b := os.Getenv("SSEGUARD_BINARY"); b != "" {
		binary = b
	}
	if _, err := exec.LookPath("aws"); err != nil {
		os.Stderr.WriteString("the AWS CLI is required for end-to-end tests: install it with `pip install awscli`\n")
		os.Exit(1)
	}
	l, stop := awstest.StartMain()
	layer = l
	code := m.Run()
	// Across the whole suite, sseguard never sent anything that destroys a key, an alias, an
	// object, a version or a bucket's encryption (setup and checks use other access keys).
	if code == 0 {
		var bad []awstest.Action
		for _, a := range layer.Actions() {
			if _, ours := sseguardKeys.Load(a.AccessKeyID); ours && (slices.Contains(awstest.Destructive, a.Action) || slices.Contains(awstest.Destructive, a.Operation)) {
				bad = append(bad, a)
			}
		}
		if len(bad) > 0 {
			os.Stderr.WriteString("sseguard sent destructive requests:\n" + awstest.FormatActions(bad) + "\n")
			code = 1
		}
	}
	stop()
	stopCLIWorkers()
	os.RemoveAll(dir)
	os.Exit(code)
}

// longTier marks a heavy scenario: only the long tier (SSEGUARD_LONG=1) runs it. The fast tier
// keeps another end-to-end test of the same behaviour.
func longTier(t *testing.T) {
	t.Helper()
	if !long {
		t.Skip("a heavy scenario of the long tier: SSEGUARD_LONG=1 runs it")
	}
}

// sseguardKeys holds the access key id every sseguard run uses (one per test); setup and checks
// use others.
var sseguardKeys sync.Map

var testSeq atomic.Int64

type e2e struct {
	t *testing.T
	// ns makes this test's names unique in the shared emulator.
	ns string
	// env runs the AWS CLI and boto3 as an unrestricted administrator, for setup and checks.
	env []string
	// key is the access key sseguard runs with; its IAM policy is set for each run.
	key string
	dir string
	// ownIAM: the test sets the key's IAM policy itself (see grant); sseguard's runs do not
	// replace it, and refusals are the test's to check.
	ownIAM bool
	// lastRole is the role whose policy the key holds.
	lastRole string
}

// newE2E starts a parallel end-to-end test with its own names and access keys.
func newE2E(t *testing.T) *e2e {
	t.Helper()
	t.Parallel()
	return startE2E(t)
}

// newSequentialE2E starts an end-to-end test that runs before every parallel one: a test that
// lists the whole account (unmanaged buckets) must see it before the big-account scenario of the
// long tier fills it past ListBuckets' first page.
func newSequentialE2E(t *testing.T) *e2e {
	t.Helper()
	return startE2E(t)
}

func startE2E(t *testing.T) *e2e {
	t.Helper()
	n := testSeq.Add(1)
	ns := fmt.Sprintf("t%03d", n)
	e := &e2e{t: t, ns: ns, dir: t.TempDir()}
	// sseguard runs as an IAM user of its own, as it would with an access key in AWS: a principal
	// key policies can name (the keys it creates name it).
	key, err := layer.NewUser(context.Background(), "sseguard-"+ns)
	if err != nil {
		t.Fatal(err)
	}
	e.key = key
	sseguardKeys.Store(key, true)
	e.env = append(os.Environ(), layer.EnvWithKey(fmt.Sprintf("AKIAADMIN%011d", n), "admin")...)
	return e
}

// name makes a bucket (or role) name unique to the test: media-hls → media-hls-t007.
func (e *e2e) name(base string) string { return base + "-" + e.ns }

// alias makes a key alias unique to the test: hls → alias/hls-t007.
func (e *e2e) alias(base string) string { return "alias/" + base + "-" + e.ns }

// runEnv is the environment sseguard runs with: the layer, and the test's sseguard access key.
func (e *e2e) runEnv() []string {
	return append(os.Environ(), layer.EnvWithKey(e.key, "sseguard")...)
}

// grant gives the sseguard access key the IAM policy the binary generates for role and the policy
// file, as a user would set up the role (`sseguard iam-policy`).
func (e *e2e) grant(role, policyFile string) {
	e.t.Helper()
	cmd := exec.Command(genBinary, "iam-policy", "--role", role, "--policy", policyFile, "--account", motoserver.Account)
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("sseguard iam-policy --role %s: %v", role, err)
	}
	if err := layer.SetIdentityPolicy(e.key, string(out)); err != nil {
		e.t.Fatalf("the generated %s policy is not a valid identity policy: %v\n%s", role, err, out)
	}
	e.lastRole = role
}

// refused returns what the layer refused the sseguard key because of its IAM policy (refusals by
// an explicit Deny in a bucket or key policy are the account's, not the role's: tests that meet
// them check them).
func (e *e2e) refused() []awstest.Action {
	var out []awstest.Action
	for _, a := range layer.Refused() {
		if a.AccessKeyID == e.key && strings.Contains(a.Reason, "identity-based policy") {
			out = append(out, a)
		}
	}
	return out
}

// aws runs the AWS CLI against the emulator and returns its JSON output decoded.
func (e *e2e) aws(args ...string) map[string]any {
	e.t.Helper()
	out, err := e.awsRaw(args...)
	if err != nil {
		e.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	m := map[string]any{}
	if len(bytes.TrimSpace(out)) > 0 {
		if err := json.Unmarshal(out, &m); err != nil {
			e.t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return m
}

// awsRaw runs the AWS CLI and returns its stdout, or its stderr with the error.
func (e *e2e) awsRaw(args ...string) ([]byte, error) {
	out, stderr, err := runAWSCLI(e.env, append(args, "--output", "json"))
	if err != nil {
		return stderr, err
	}
	return out, nil
}

// sseguard runs the built binary and returns its exit code and combined output. With env nil it
// runs with the test's sseguard access key, whose IAM policy becomes the generated one for the
// command's role (plan and validate: plan; apply: apply), and no request may be refused.
func (e *e2e) sseguard(env []string, args ...string) (int, string) {
	e.t.Helper()
	if env == nil {
		env = e.runEnv()
		if !e.ownIAM && len(args) > 0 {
			if pf := flagValue(args, "--policy"); pf != "" && (args[0] == "plan" || args[0] == "apply") {
				e.grant(args[0], pf)
			}
		}
	}
	before := len(e.refused())
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if !e.ownIAM {
		if r := e.refused(); len(r) > before {
			e.t.Errorf("sseguard %s: the layer refused requests under the generated %s policy:\n%s\n%s",
				strings.Join(args, " "), e.lastRole, awstest.FormatActions(r[before:]), out)
		}
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	e.t.Fatalf("run sseguard: %v", err)
	return -1, ""
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

func (e *e2e) policy(body string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, "sseguard.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func dig(m any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, _ := m.(map[string]any)
			m = mm[k]
		case int:
			l, _ := m.([]any)
			if k >= len(l) {
				return nil
			}
			m = l[k]
		}
	}
	return m
}

func TestE2ECreateKeyAndSetEncryption(t *testing.T) {
	e := newE2E(t)
	bucket, alias := e.name("media-hls"), e.alias("e2e-key")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	e.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
		`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`)
	pol := e.policy(`version: 1
keys:
  - alias: ` + alias + `
    description: Videos on example.com
    tags: {team: media}
buckets:
  - name: ` + bucket + `
    encryption: sse-kms
    kms_key: ` + alias + `
`)

	code, out := e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan --detailed-exitcode = %d, want 2 (changes pending)\n%s", code, out)
	}
	for _, want := range []string{"create-key/us-east-1/" + alias, "enable-key-rotation/us-east-1/" + alias, "set-default-encryption/" + bucket} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output does not name %s:\n%s", want, out)
		}
	}
	// plan changed nothing.
	if got := dig(e.aws("s3api", "get-bucket-encryption", "--bucket", bucket),
		"ServerSideEncryptionConfiguration", "Rules", 0, "ApplyServerSideEncryptionByDefault", "SSEAlgorithm"); got != "AES256" {
		t.Fatalf("after plan, bucket encryption = %v, want AES256 unchanged", got)
	}

	jsonPath := filepath.Join(e.dir, "apply.json")
	code, out = e.sseguard(nil, "apply", "--policy", pol, "--json", jsonPath)
	if code != 0 {
		t.Fatalf("apply = %d, want 0\n%s", code, out)
	}

	key := e.aws("kms", "describe-key", "--key-id", alias)
	keyARN, _ := dig(key, "KeyMetadata", "Arn").(string)
	if !regexp.MustCompile(`^arn:aws:kms:us-east-1:123456789012:key/[0-9a-f-]{36}$`).MatchString(keyARN) {
		t.Fatalf("describe-key %s: ARN %q", alias, keyARN)
	}
	if s := dig(key, "KeyMetadata", "KeyState"); s != "Enabled" {
		t.Errorf("key state = %v, want Enabled", s)
	}
	if d := dig(key, "KeyMetadata", "Description"); d != "Videos on example.com" {
		t.Errorf("key description = %v", d)
	}
	tags := map[string]any{}
	for _, tg := range e.aws("kms", "list-resource-tags", "--key-id", keyARN)["Tags"].([]any) {
		tags[dig(tg, "TagKey").(string)] = dig(tg, "TagValue")
	}
	if tags["team"] != "media" || tags["sseguard:alias"] != alias {
		t.Errorf("key tags = %v, want team=media and sseguard:alias=%s", tags, alias)
	}
	if r := dig(e.aws("kms", "get-key-rotation-status", "--key-id", keyARN), "KeyRotationEnabled"); r != true {
		t.Errorf("key rotation = %v, want true (the default)", r)
	}
	rule := dig(e.aws("s3api", "get-bucket-encryption", "--bucket", bucket), "ServerSideEncryptionConfiguration", "Rules", 0)
	if alg := dig(rule, "ApplyServerSideEncryptionByDefault", "SSEAlgorithm"); alg != "aws:kms" {
		t.Errorf("bucket algorithm = %v, want aws:kms", alg)
	}
	if k := dig(rule, "ApplyServerSideEncryptionByDefault", "KMSMasterKeyID"); k != keyARN {
		t.Errorf("bucket key = %v, want the key ARN %s (never the alias)", k, keyARN)
	}
	if bk := dig(rule, "BucketKeyEnabled"); bk != true {
		t.Errorf("BucketKeyEnabled = %v, want true", bk)
	}
	var doc struct {
		FormatVersion string `json:"format_version"`
		Summary       struct{ Applied, Failed int }
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil || json.Unmarshal(raw, &doc) != nil || doc.FormatVersion != "1" || doc.Summary.Applied != 3 || doc.Summary.Failed != 0 {
		t.Errorf("apply JSON: %v %+v\n%s", err, doc, raw)
	}

	code, out = e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode")
	if code != 0 {
		t.Fatalf("plan after apply = %d, want 0 (in sync)\n%s", code, out)
	}
	// Apply again: nothing to do, and no second key.
	if code, out = e.sseguard(nil, "apply", "--policy", pol); code != 0 || !strings.Contains(out, "In sync") {
		t.Fatalf("second apply = %d\n%s", code, out)
	}
	if n := e.keysTagged(alias); n != 1 {
		t.Errorf("%d keys tagged for %s after two applies, want 1", n, alias)
	}
}

// keysTagged counts the keys sseguard created for alias (tagged sseguard:alias), in one boto3 call.
func (e *e2e) keysTagged(alias string) int {
	e.t.Helper()
	var n struct{ N int }
	e.py(`
n = 0
for page in kms.get_paginator("list_keys").paginate():
    for k in page["Keys"]:
        tags = kms.list_resource_tags(KeyId=k["KeyId"])["Tags"]
        if any(t["TagKey"] == "sseguard:alias" and t["TagValue"] == `+pyStr(alias)+` for t in tags):
            n += 1
print(json.dumps({"N": n}))
`, &n)
	return n.N
}

// pyStr quotes s as a Python string literal.
func pyStr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestE2EKeyInAnotherRegionIsABlocker(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	eu, us, alias := e.name("masters-eu"), e.name("masters-us"), e.alias("us-only")
	e.aws("s3api", "create-bucket", "--bucket", eu, "--region", "eu-west-1",
		"--create-bucket-configuration", "LocationConstraint=eu-west-1")
	e.aws("s3api", "create-bucket", "--bucket", us)
	key := e.aws("kms", "create-key", "--region", "us-east-1")
	usKMS := func() {
		e.aws("s3api", "put-bucket-encryption", "--bucket", us, "--server-side-encryption-configuration",
			`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"}}]}`)
	}
	keyARN := dig(key, "KeyMetadata", "Arn").(string)
	e.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", keyARN)
	euRule := func() any {
		return dig(e.aws("s3api", "get-bucket-encryption", "--bucket", eu, "--region", "eu-west-1"),
			"ServerSideEncryptionConfiguration", "Rules", 0, "ApplyServerSideEncryptionByDefault", "SSEAlgorithm")
	}
	before := euRule() // every bucket has SSE-S3 by default

	for name, body := range map[string]string{
		"key ARN": `version: 1
buckets:
  - name: ` + eu + `
    encryption: sse-kms
    kms_key: ` + keyARN + `
  - name: ` + us + `
    encryption: sse-s3
`,
		"alias pinned to us-east-1": `version: 1
keys:
  - alias: ` + alias + `
    region: us-east-1
buckets:
  - name: ` + eu + `
    encryption: sse-kms
    kms_key: ` + alias + `
  - name: ` + us + `
    encryption: sse-s3
`,
	} {
		t.Run(name, func(t *testing.T) {
			usKMS()
			pol := e.policy(body)
			code, out := e.sseguard(nil, "apply", "--policy", pol)
			if code != 1 || !strings.Contains(out, "key-region-mismatch") {
				t.Fatalf("apply = %d, want 1 with a key-region-mismatch blocker\n%s", code, out)
			}
			// Nothing changed for the blocked bucket; the other bucket was still fixed.
			if got := euRule(); got != before {
				t.Errorf("%s encryption changed despite the blocker: %v → %v", eu, before, got)
			}
			if alg := dig(e.aws("s3api", "get-bucket-encryption", "--bucket", us),
				"ServerSideEncryptionConfiguration", "Rules", 0, "ApplyServerSideEncryptionByDefault", "SSEAlgorithm"); alg != "AES256" {
				t.Errorf("%s = %v, want AES256: a blocker stops its own bucket only", us, alg)
			}
		})
	}
}

// A key named by alias, id, key ARN or alias ARN is the same key; a rule that stores it as
// anything but the key ARN is rewritten with the key ARN (S3 resolves an alias or id in the
// uploader's account), and the plan says why.
func TestE2EKeyByAliasIDOrARNIsTheSameKeyWrittenAsARN(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	alias := e.alias("shared")
	key := e.aws("kms", "create-key", "--description", "shared")
	keyARN := dig(key, "KeyMetadata", "Arn").(string)
	keyID := dig(key, "KeyMetadata", "KeyId").(string)
	e.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", keyID)
	e.aws("kms", "enable-key-rotation", "--key-id", keyID)
	refs := map[string]string{e.name("by-alias-name"): alias, e.name("by-key-id"): keyID, e.name("by-key-arn"): keyARN,
		e.name("by-alias-arn"): "arn:aws:kms:us-east-1:123456789012:" + alias}
	body := "version: 1\nbuckets:\n"
	for bucket, ref := range refs {
		e.aws("s3api", "create-bucket", "--bucket", bucket)
		e.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
			`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"`+ref+`"},"BucketKeyEnabled":true}]}`)
		// Each bucket's policy names the key another way than its encryption stores it.
		body += "  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n"
	}
	pol := e.policy(body)
	code, out := e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan = %d, want 2\n%s", code, out)
	}
	for bucket, ref := range refs {
		change := "set-default-encryption/" + bucket
		if ref == keyARN {
			if strings.Contains(out, change) {
				t.Errorf("%s stores the key ARN already, but the plan changes it:\n%s", bucket, out)
			}
			continue
		}
		if !strings.Contains(out, change) || !strings.Contains(out, "the rule names the key as "+ref) {
			t.Errorf("plan does not rewrite %s (stored as %s) saying why:\n%s", bucket, ref, out)
		}
	}
	if code, out = e.sseguard(nil, "apply", "--policy", pol); code != 0 {
		t.Fatalf("apply = %d\n%s", code, out)
	}
	for bucket := range refs {
		if k := dig(e.aws("s3api", "get-bucket-encryption", "--bucket", bucket), "ServerSideEncryptionConfiguration", "Rules", 0,
			"ApplyServerSideEncryptionByDefault", "KMSMasterKeyID"); k != keyARN {
			t.Errorf("%s: KMSMasterKeyID = %v, want the key ARN", bucket, k)
		}
	}
	if code, out = e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after apply = %d, want 0\n%s", code, out)
	}
}

func TestE2EReservedAliasFailsBeforeAnyAWSCall(t *testing.T) {
	t.Parallel()
	e := &e2e{t: t, dir: t.TempDir(), ownIAM: true}
	// An endpoint that counts connections: the policy must be refused before any is made.
	endpoint, conns := testsupport.DeadEndpoint(t)
	env := append(os.Environ(), "AWS_ENDPOINT_URL="+endpoint, "AWS_ACCESS_KEY_ID=x",
		"AWS_SECRET_ACCESS_KEY=x", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true")
	pol := e.policy("version: 1\nbuckets:\n  - name: media-hls\n    encryption: sse-kms\n    kms_key: alias/aws/s3\n")
	for _, cmd := range []string{"plan", "apply", "validate"} {
		code, out := e.sseguard(env, cmd, "--policy", pol)
		if code != 1 {
			t.Errorf("%s = %d, want 1\n%s", cmd, code, out)
		}
		if !regexp.MustCompile(regexp.QuoteMeta(pol) + `:5:14: .*alias/aws/`).MatchString(out) {
			t.Errorf("%s output lacks file:line:col for the reserved alias:\n%s", cmd, out)
		}
	}
	if n := conns(); n != 0 {
		t.Errorf("%d connections to AWS for an invalid policy, want 0", n)
	}
}

func TestE2EPlanJSONOnStdoutIsPureJSON(t *testing.T) {
	e := newE2E(t)
	bucket := e.name("media-thumbs")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-s3\n    enforce_on_upload: true\n")
	e.grant("plan", pol)
	cmd := exec.Command(binary, "plan", "--policy", pol, "--json", "-")
	cmd.Env = e.runEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("plan --json -: %v\n%s", err, stderr.String())
	}
	var doc struct {
		FormatVersion string `json:"format_version"`
		Summary       struct{ Changes int }
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || doc.FormatVersion != "1" || doc.Summary.Changes != 1 {
		t.Fatalf("stdout is not the JSON plan (%v): %s", err, stdout.String())
	}
	if !strings.Contains(stderr.String(), "update-bucket-policy/"+bucket) {
		t.Errorf("the text plan should go to stderr:\n%s", stderr.String())
	}
	if r := e.refused(); len(r) > 0 {
		t.Errorf("refused under the generated plan policy:\n%s", awstest.FormatActions(r))
	}
}

// awsRawWith runs the AWS CLI with env and returns its stdout, or its stderr with the error.
func (e *e2e) awsRawWith(env []string, args ...string) ([]byte, error) {
	saved := e.env
	e.env = env
	defer func() { e.env = saved }()
	return e.awsRaw(args...)
}
