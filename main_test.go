package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sseguard/sseguard/internal/motoserver"
)

// These end-to-end tests build the real binary, set up drift with the AWS CLI against a real
// moto_server, run sseguard as a user would, and check the result with the AWS CLI again:
// nothing in them trusts sseguard's own reading of AWS.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sseguard-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "sseguard")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.Stderr.WriteString("build sseguard: " + err.Error() + "\n")
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type e2e struct {
	t   *testing.T
	env []string
	dir string
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatalf("the AWS CLI is required for end-to-end tests: install it with `pip install awscli` (%v)", err)
	}
	srv := motoserver.ForTest(t)
	env := append(os.Environ(), srv.Env()...)
	return &e2e{t: t, env: env, dir: t.TempDir()}
}

// aws runs the AWS CLI against the emulator and returns its JSON output decoded.
func (e *e2e) aws(args ...string) map[string]any {
	e.t.Helper()
	cmd := exec.Command("aws", append(args, "--output", "json")...)
	cmd.Env = e.env
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			e.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		e.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	m := map[string]any{}
	if len(bytes.TrimSpace(out)) > 0 {
		if err := json.Unmarshal(out, &m); err != nil {
			e.t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return m
}

// sseguard runs the built binary and returns its exit code and combined output.
func (e *e2e) sseguard(env []string, args ...string) (int, string) {
	e.t.Helper()
	cmd := exec.Command(binary, args...)
	if env == nil {
		env = e.env
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
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
	e.aws("s3api", "create-bucket", "--bucket", "media-hls")
	e.aws("s3api", "put-bucket-encryption", "--bucket", "media-hls", "--server-side-encryption-configuration",
		`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}`)
	pol := e.policy(`version: 1
keys:
  - alias: alias/e2e-key
    description: Videos on example.com
    tags: {team: media}
buckets:
  - name: media-hls
    encryption: sse-kms
    kms_key: alias/e2e-key
`)

	code, out := e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan --detailed-exitcode = %d, want 2 (changes pending)\n%s", code, out)
	}
	for _, want := range []string{"create-key/us-east-1/alias/e2e-key", "set-default-encryption/media-hls"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output does not name %s:\n%s", want, out)
		}
	}
	// plan changed nothing.
	if got := dig(e.aws("s3api", "get-bucket-encryption", "--bucket", "media-hls"),
		"ServerSideEncryptionConfiguration", "Rules", 0, "ApplyServerSideEncryptionByDefault", "SSEAlgorithm"); got != "AES256" {
		t.Fatalf("after plan, bucket encryption = %v, want AES256 unchanged", got)
	}

	jsonPath := filepath.Join(e.dir, "apply.json")
	code, out = e.sseguard(nil, "apply", "--policy", pol, "--json", jsonPath)
	if code != 0 {
		t.Fatalf("apply = %d, want 0\n%s", code, out)
	}

	key := e.aws("kms", "describe-key", "--key-id", "alias/e2e-key")
	keyARN, _ := dig(key, "KeyMetadata", "Arn").(string)
	if !regexp.MustCompile(`^arn:aws:kms:us-east-1:123456789012:key/[0-9a-f-]{36}$`).MatchString(keyARN) {
		t.Fatalf("describe-key alias/e2e-key: ARN %q", keyARN)
	}
	if s := dig(key, "KeyMetadata", "KeyState"); s != "Enabled" {
		t.Errorf("key state = %v, want Enabled", s)
	}
	if d := dig(key, "KeyMetadata", "Description"); d != "Videos on example.com" {
		t.Errorf("key description = %v", d)
	}
	tags := e.aws("kms", "list-resource-tags", "--key-id", keyARN)
	if k, v := dig(tags, "Tags", 0, "TagKey"), dig(tags, "Tags", 0, "TagValue"); k != "team" || v != "media" {
		t.Errorf("key tags = %v", tags["Tags"])
	}
	if r := dig(e.aws("kms", "get-key-rotation-status", "--key-id", keyARN), "KeyRotationEnabled"); r != true {
		t.Errorf("key rotation = %v, want true (the default)", r)
	}
	rule := dig(e.aws("s3api", "get-bucket-encryption", "--bucket", "media-hls"), "ServerSideEncryptionConfiguration", "Rules", 0)
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
	if err != nil || json.Unmarshal(raw, &doc) != nil || doc.FormatVersion != "1" || doc.Summary.Applied != 2 || doc.Summary.Failed != 0 {
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
	keys := e.aws("kms", "list-keys")
	if n := len(keys["Keys"].([]any)); n != 1 {
		t.Errorf("%d keys after two applies, want 1", n)
	}
}

func TestE2EKeyInAnotherRegionIsABlocker(t *testing.T) {
	e := newE2E(t)
	e.aws("s3api", "create-bucket", "--bucket", "masters-eu", "--region", "eu-west-1",
		"--create-bucket-configuration", "LocationConstraint=eu-west-1")
	e.aws("s3api", "create-bucket", "--bucket", "masters-us")
	key := e.aws("kms", "create-key", "--region", "us-east-1")
	keyARN := dig(key, "KeyMetadata", "Arn").(string)
	e.aws("kms", "create-alias", "--alias-name", "alias/us-only", "--target-key-id", keyARN)

	for name, body := range map[string]string{
		"key ARN": `version: 1
buckets:
  - name: masters-eu
    encryption: sse-kms
    kms_key: ` + keyARN + `
  - name: masters-us
    encryption: sse-s3
`,
		"alias pinned to us-east-1": `version: 1
keys:
  - alias: alias/us-only
    region: us-east-1
buckets:
  - name: masters-eu
    encryption: sse-kms
    kms_key: alias/us-only
  - name: masters-us
    encryption: sse-s3
`,
	} {
		t.Run(name, func(t *testing.T) {
			pol := e.policy(body)
			code, out := e.sseguard(nil, "apply", "--policy", pol)
			if code != 1 || !strings.Contains(out, "key-region-mismatch") {
				t.Fatalf("apply = %d, want 1 with a key-region-mismatch blocker\n%s", code, out)
			}
			// Nothing changed for the blocked bucket; the other bucket was still fixed.
			cmd := exec.Command("aws", "s3api", "get-bucket-encryption", "--bucket", "masters-eu", "--region", "eu-west-1")
			cmd.Env = e.env
			if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "ServerSideEncryptionConfigurationNotFoundError") {
				t.Errorf("masters-eu encryption changed despite the blocker: %s", out)
			}
			if alg := dig(e.aws("s3api", "get-bucket-encryption", "--bucket", "masters-us"),
				"ServerSideEncryptionConfiguration", "Rules", 0, "ApplyServerSideEncryptionByDefault", "SSEAlgorithm"); alg != "AES256" {
				t.Errorf("masters-us = %v, want AES256: a blocker stops its own bucket only", alg)
			}
		})
	}
}

func TestE2EKeyByAliasIDOrARNIsEquallyCompliant(t *testing.T) {
	e := newE2E(t)
	key := e.aws("kms", "create-key", "--description", "shared")
	keyARN := dig(key, "KeyMetadata", "Arn").(string)
	keyID := dig(key, "KeyMetadata", "KeyId").(string)
	e.aws("kms", "create-alias", "--alias-name", "alias/shared", "--target-key-id", keyID)
	e.aws("kms", "enable-key-rotation", "--key-id", keyID)
	refs := map[string]string{"by-alias-name": "alias/shared", "by-key-id": keyID, "by-key-arn": keyARN,
		"by-alias-arn": "arn:aws:kms:us-east-1:123456789012:alias/shared"}
	body := "version: 1\nbuckets:\n"
	for bucket, ref := range refs {
		e.aws("s3api", "create-bucket", "--bucket", bucket)
		e.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
			`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"`+ref+`"},"BucketKeyEnabled":true}]}`)
		// Each bucket's policy names the key another way than its encryption stores it.
		body += "  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: alias/shared\n"
	}
	body += "  - name: by-alias-name-2\n    encryption: sse-kms\n    kms_key: " + keyARN + "\n"
	e.aws("s3api", "create-bucket", "--bucket", "by-alias-name-2")
	e.aws("s3api", "put-bucket-encryption", "--bucket", "by-alias-name-2", "--server-side-encryption-configuration",
		`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"alias/shared"},"BucketKeyEnabled":true}]}`)

	code, out := e.sseguard(nil, "plan", "--policy", e.policy(body), "--detailed-exitcode")
	if code != 0 {
		t.Fatalf("plan = %d, want 0: a key named by alias, id, key ARN or alias ARN is the same key\n%s", code, out)
	}
}

func TestE2EReservedAliasFailsBeforeAnyAWSCall(t *testing.T) {
	e := &e2e{t: t, dir: t.TempDir()}
	// An endpoint that counts connections: the policy must be refused before any is made.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	env := append(os.Environ(), "AWS_ENDPOINT_URL=http://"+l.Addr().String(), "AWS_ACCESS_KEY_ID=x",
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
	if n := conns.Load(); n != 0 {
		t.Errorf("%d connections to AWS for an invalid policy, want 0", n)
	}
}

func TestE2EDemo(t *testing.T) {
	e := &e2e{t: t}
	code, out := e.sseguard(os.Environ(), "demo")
	if code != 0 {
		t.Fatalf("demo = %d\n%s", code, out)
	}
	parts := strings.Split(out, "==> ")
	if len(parts) != 4 {
		t.Fatalf("demo should show plan, apply and plan again:\n%s", out)
	}
	if !strings.Contains(parts[1], "changes pending") || !strings.Contains(parts[3], "In sync") {
		t.Errorf("demo: first plan should have changes, last plan should be in sync:\n%s", out)
	}
}

func TestE2EPlanJSONOnStdoutIsPureJSON(t *testing.T) {
	e := newE2E(t)
	e.aws("s3api", "create-bucket", "--bucket", "media-thumbs")
	pol := e.policy("version: 1\nbuckets:\n  - name: media-thumbs\n    encryption: sse-s3\n")
	cmd := exec.Command(binary, "plan", "--policy", pol, "--json", "-")
	cmd.Env = e.env
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
	if !strings.Contains(stderr.String(), "set-default-encryption/media-thumbs") {
		t.Errorf("the text plan should go to stderr:\n%s", stderr.String())
	}
}
