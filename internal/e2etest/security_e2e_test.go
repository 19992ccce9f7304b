package e2etest

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// End-to-end tests of who gets access, and when (issue "Who gets access, and when"): the built
// binary, the strict layer, the AWS CLI to check state.

// A principal of another account is never granted by accident: with account: set it is refused
// offline at its line; without it, the home account is the caller's and the bucket is blocked.
// trusted_accounts lets it in, and the plan shows the grant.
func TestE2EPrincipalOfAnotherAccountIsNeverGranted(t *testing.T) {
	e := newE2E(t)
	bucket, alias := e.name("media"), e.alias("media")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	outsider := "arn:aws:iam::999988887777:role/Outsider"
	body := "version: 1\n%sbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n    transcoder_principal: " + outsider + "\n"
	pol := e.policy(strings.Replace(body, "%s", "", 1))
	code, out := e.sseguard(nil, "apply", "--policy", pol)
	if code != 1 || !strings.Contains(out, "[principal-other-account]") || !strings.Contains(out, outsider) {
		t.Fatalf("apply = %d, want a principal-other-account blocker naming %s\n%s", code, outsider, out)
	}
	if n := e.keysTagged(alias); n != 0 {
		t.Errorf("%d keys created for a blocked bucket", n)
	}
	withAccount := e.policy(strings.Replace(body, "%s", "account: \"123456789012\"\n", 1))
	if code, out := e.sseguard(nil, "validate", "--policy", withAccount); code != 1 || !regexp.MustCompile(`:7:27: transcoder_principal .*999988887777.*trusted_accounts`).MatchString(out) {
		t.Errorf("validate with account: = %d, want the principal refused at 7:27\n%s", code, out)
	}
	trusted := e.policy(strings.Replace(body, "%s", "trusted_accounts: [\"999988887777\"]\n", 1))
	code, out = e.sseguard(nil, "plan", "--policy", trusted, "--detailed-exitcode")
	if code != 2 || !strings.Contains(out, "principal "+outsider+" gains kms:Decrypt") {
		t.Errorf("plan with the account trusted = %d, want the grant shown\n%s", code, out)
	}
}

// mode: apply applies only on push, schedule and workflow_dispatch of the apply branch: any other
// event fails the step saying why, and nothing is read or changed.
func TestE2EActionAppliesOnlyOnAllowedEvents(t *testing.T) {
	e := newE2E(t)
	bucket, alias := e.name("media"), e.alias("gha")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	r := newRunner(e)
	if err := os.WriteFile(filepath.Join(r.ws, "sseguard.yaml"), []byte("version: 1\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-kms\n    kms_key: "+alias+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, event := range []string{"workflow_run", "repository_dispatch", "issue_comment", "merge_group", "deployment", ""} {
		code, out := r.run(event, "refs/heads/main", map[string]string{"policy": "sseguard.yaml", "mode": "apply"})
		if code != 1 || !strings.Contains(out, "refused to apply") {
			t.Errorf("%q with mode apply = %d, want the step failed saying why\n%s", event, code, out)
		}
	}
	if n := e.keysTagged(alias); n != 0 {
		t.Errorf("%d keys created", n)
	}
	if alg := dig(e.aws("s3api", "get-bucket-encryption", "--bucket", bucket), "ServerSideEncryptionConfiguration", "Rules", 0,
		"ApplyServerSideEncryptionByDefault", "SSEAlgorithm"); alg != "AES256" {
		t.Errorf("bucket encryption changed to %v", alg)
	}
}

// A key tagged for the alias but not exactly what sseguard creates (here: a statement granting
// another account) is not adopted: a new key is created and the run says which key was passed
// over and why.
func TestE2EPlantedKeyIsNotAdopted(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("media"), e.alias("media")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	planted := `{"Version":"2012-10-17","Statement":[
{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
{"Sid":"Backdoor","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"kms:Decrypt","Resource":"*"}]}`
	k := e.aws("kms", "create-key", "--policy", planted, "--tags", "TagKey=sseguard:alias,TagValue="+alias)
	plantedID := dig(k, "KeyMetadata", "KeyId").(string)
	code, out := e.sseguard(nil, "apply", "--policy", e.policy("version: 1\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-kms\n    kms_key: "+alias+"\n"))
	if code != 0 || !strings.Contains(out, "not adopted: key "+plantedID) || !strings.Contains(out, "Backdoor") {
		t.Fatalf("apply = %d, want a new key and the planted one named as not adopted\n%s", code, out)
	}
	if id := dig(e.aws("kms", "describe-key", "--key-id", alias), "KeyMetadata", "KeyId"); id == plantedID {
		t.Errorf("%s points at the planted key", alias)
	}
}

// A bucket is never switched to a key its transcoder cannot use: when the key policy change
// fails, the bucket's default encryption is not changed, and the result says so.
func TestE2EBucketWaitsForItsKeyPolicy(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("media"), e.alias("media")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	transcoder := e.roles("Transcoder")[0]
	e.createKey(alias)
	pol := e.policy("version: 1\nkeys:\n  - alias: " + alias + "\n    rotation: false\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n    transcoder_principal: " + transcoder + "\n")
	// The generated apply policy, with kms:PutKeyPolicy denied on top.
	e.grant("apply", pol)
	e.ownIAM = true
	out, err := osexec.Command(genBinary, "iam-policy", "--role", "apply", "--policy", pol, "--account", "123456789012").Output()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.Unmarshal(out, &doc)
	doc["Statement"] = append(doc["Statement"].([]any), map[string]any{"Effect": "Deny", "Action": "kms:PutKeyPolicy", "Resource": "*"})
	b, _ := json.Marshal(doc)
	if err := layer.SetIdentityPolicy(e.key, string(b)); err != nil {
		t.Fatal(err)
	}
	code, text := e.sseguard(e.runEnv(), "apply", "--policy", pol)
	if code != 1 || !regexp.MustCompile(`failed\s+update-key-policy/`).MatchString(text) || !regexp.MustCompile(`skipped\s+set-default-encryption/`+bucket).MatchString(text) {
		t.Fatalf("apply = %d, want the key policy failed and the bucket's switch skipped\n%s", code, text)
	}
	if alg := dig(e.aws("s3api", "get-bucket-encryption", "--bucket", bucket), "ServerSideEncryptionConfiguration", "Rules", 0,
		"ApplyServerSideEncryptionByDefault", "SSEAlgorithm"); alg != "AES256" {
		t.Errorf("the bucket was switched (%v) to a key its transcoder cannot use", alg)
	}
}

// Nothing sseguard prints can act as a workflow command: object keys and policy text are the
// hostile inputs; with redact-account-id the account id shows only in add-mask.
func TestE2EHostileOutputCannotBecomeAWorkflowCommand(t *testing.T) {
	e := newE2E(t)
	bucket, alias := e.name("hostile"), e.alias("hostile")
	e.createKey(alias)
	keys := []string{"::error::pwned", "  ::add-mask::pwned", "##[set-output name=drift]false", "x\x1b]0;pwned\x07", "::set-env name=A::pwned"}
	e.withBucket(bucket).py(`
s3.create_bucket(Bucket=BUCKET)
for k in `+mustJSON(keys)+`:
    s3.put_object(Bucket=BUCKET, Key=k, Body=b"x")
`, nil)
	r := newRunner(e)
	if err := os.WriteFile(filepath.Join(r.ws, "sseguard.yaml"), []byte("version: 1\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-kms\n    kms_key: "+alias+"\n    existing_objects: reencrypt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	jsonFile := filepath.Join(r.ws, "plan.json")
	code, out := r.run("pull_request", "refs/pull/7/merge", map[string]string{"policy": "sseguard.yaml", "redact-account-id": "true", "json-file": jsonFile})
	if code != 0 {
		t.Fatalf("plan = %d\n%s", code, out)
	}
	own := regexp.MustCompile(`^::(add-mask|group|endgroup|stop-commands|error|warning|notice|sseguard-[0-9a-f]+)( |::|$)`)
	for _, line := range strings.Split(out, "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(trimmed, "::") && (!own.MatchString(trimmed) || strings.Contains(trimmed, "pwned")) {
			t.Errorf("a line the runner would take for a command: %q", line)
		}
		if strings.Contains(line, "##[") {
			t.Errorf("a line holding the legacy command prefix: %q", line)
		}
		if strings.Contains(line, "\x1b") {
			t.Errorf("a raw control character: %q", line)
		}
		if strings.Contains(line, "123456789012") && line != "::add-mask::123456789012" {
			t.Errorf("the account id outside add-mask: %q", line)
		}
	}
	if !strings.Contains(out, "5 to fix") {
		t.Errorf("the plan should count the five objects:\n%s", out)
	}
	raw, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Plan    struct{ Account string }
		Objects []struct{ Key string }
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, o := range doc.Objects {
		got[o.Key] = true
	}
	for _, k := range keys {
		if !got[k] {
			t.Errorf("the JSON plan must keep key %q exactly", k)
		}
	}
	if doc.Plan.Account != "123456789012" {
		t.Errorf("the JSON plan must keep the account: %q", doc.Plan.Account)
	}
}

// Every S3 call sseguard makes names the account that must own the bucket.
func TestE2EEveryS3CallNamesTheBucketOwner(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("owned"), e.alias("owned")
	own, err := awstest.Start(context.Background(), awstest.Options{Upstream: layer.Upstream()})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	e.env = append(os.Environ(), own.EnvWithKey("AKIAOWN"+e.ns, "x")...)
	e.seedObjects(bucket, 5, "")
	e.createKey(alias)
	key := "AKIASSEGUARDOWN" + e.ns
	var mu sync.Mutex
	var missing []string
	var seen atomic.Int32
	own.SetBefore(func(op string, r *http.Request) {
		if !strings.Contains(r.Header.Get("Authorization"), "Credential="+key+"/") || strings.HasPrefix(op, "kms:") || strings.HasPrefix(op, "sts:") || strings.HasPrefix(op, "iam:") {
			return
		}
		seen.Add(1)
		if r.Header.Get("X-Amz-Expected-Bucket-Owner") != "123456789012" {
			mu.Lock()
			missing = append(missing, op)
			mu.Unlock()
		}
	})
	env := append(os.Environ(), own.EnvWithKey(key, "x")...)
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n    enforce_on_upload: true\n    existing_objects: reencrypt\n")
	if code, out := e.sseguard(env, "apply", "--policy", pol, "--multipart-threshold", "5242880"); code != 0 {
		t.Fatalf("apply = %d\n%s", code, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen.Load() < 10 || len(missing) > 0 {
		t.Errorf("%d S3 requests, these without the expected bucket owner: %v", seen.Load(), missing)
	}
}

// Policy merges cannot surprise: a policy keeps its Version as found (none stays none, so others'
// literal ${...} is not turned into a variable), and a policy someone edits between the plan and
// the write is not overwritten.
func TestE2EPolicyMergesCannotSurprise(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	t.Run("version kept", func(t *testing.T) {
		bucket := e.name("noversion")
		e.aws("s3api", "create-bucket", "--bucket", bucket)
		theirs := `{"Statement":[{"Sid":"Literal","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/${aws:username}/*"}]}`
		e.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", theirs)
		if code, out := e.sseguard(nil, "apply", "--policy", e.policy("version: 1\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-s3\n    require_tls: true\n")); code != 0 {
			t.Fatalf("apply = %d\n%s", code, out)
		}
		got, _ := e.aws("s3api", "get-bucket-policy", "--bucket", bucket)["Policy"].(string)
		if strings.Contains(got, `"Version"`) || !strings.Contains(got, "/${aws:username}/*") || !strings.Contains(got, "SseguardDenyInsecureTransport") {
			t.Errorf("the written policy must keep having no Version, keep the literal, and add sseguard's statement:\n%s", got)
		}
	})
	t.Run("edited since the plan", func(t *testing.T) {
		bucket := e.name("raced")
		own, err := awstest.Start(context.Background(), awstest.Options{Upstream: layer.Upstream()})
		if err != nil {
			t.Fatal(err)
		}
		defer own.Close()
		admin := *e
		admin.env = append(os.Environ(), own.EnvWithKey("AKIARACEADMIN"+e.ns, "x")...)
		admin.aws("s3api", "create-bucket", "--bucket", bucket)
		key := "AKIASSEGUARDRACE" + e.ns
		edit := `{"Version":"2012-10-17","Statement":[{"Sid":"TheirEdit","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
		var reads atomic.Int32
		own.SetBefore(func(op string, r *http.Request) {
			// The second read of the policy is apply's, right before it writes: someone edits
			// the policy just before it.
			if op == "GetBucketPolicy" && strings.Contains(r.Header.Get("Authorization"), "Credential="+key+"/") && reads.Add(1) == 2 {
				if _, err := admin.awsRaw("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", edit); err != nil {
					t.Errorf("their edit: %v", err)
				}
			}
		})
		code, out := e.sseguard(append(os.Environ(), own.EnvWithKey(key, "x")...), "apply", "--policy", e.policy("version: 1\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-s3\n    require_tls: true\n"))
		if code != 1 || !strings.Contains(out, "changed since the plan") {
			t.Fatalf("apply = %d, want the policy change failed: edited since the plan\n%s", code, out)
		}
		got, _ := admin.aws("s3api", "get-bucket-policy", "--bucket", bucket)["Policy"].(string)
		if !strings.Contains(got, "TheirEdit") || strings.Contains(got, "Sseguard") {
			t.Errorf("their edit was overwritten:\n%s", got)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
