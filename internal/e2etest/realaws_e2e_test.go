package e2etest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// End-to-end tests of what a real AWS account does and moto does not (issue "Real AWS, not only
// moto"): each runs the built binary against the strict layer, where today's AWS behaviour is
// enforced, and checks the result with the AWS CLI or boto3.

// seedObjects creates a bucket with n objects under SSE-S3 (what every upload without headers
// gets), each with metadata and a tag; extra runs after each put (Python, i and key in scope).
func (e *e2e) seedObjects(bucket string, n int, extra string) {
	e.t.Helper()
	e.withBucket(bucket).py(fmt.Sprintf(`
from concurrent.futures import ThreadPoolExecutor
s3.create_bucket(Bucket=BUCKET)
def put(i):
    key = "videos/%%03d.ts" %% i
    s3.put_object(Bucket=BUCKET, Key=key, Body=os.urandom(200 + i), ContentType="video/mp2t", Metadata={"i": str(i)}, Tagging="n=%%d" %% i)
    %s
with ThreadPoolExecutor(8) as pool:
    list(pool.map(put, range(%d)))
`, strings.ReplaceAll(extra, "\n", "\n    "), n), nil)
}

// encryptionOf returns each object's encryption as "SSE key" by key, in one boto3 call.
func (e *e2e) encryptionOf(bucket string) map[string]string {
	e.t.Helper()
	var out map[string]string
	e.withBucket(bucket).py(`
from urllib.parse import unquote_plus
res = {}
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, EncodingType="url"):
    for o in page.get("Contents", []):
        k = unquote_plus(o["Key"])
        h = s3.head_object(Bucket=BUCKET, Key=k)
        res[k] = (h.get("ServerSideEncryption", "") + " " + h.get("SSEKMSKeyId", "")).strip()
print(json.dumps(res))
`, &out)
	return out
}

func (e *e2e) createKey(alias string) (arn, id string) {
	e.t.Helper()
	k := e.aws("kms", "create-key", "--description", "test key "+alias)
	arn, id = dig(k, "KeyMetadata", "Arn").(string), dig(k, "KeyMetadata", "KeyId").(string)
	if alias != "" {
		e.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", id)
	}
	return arn, id
}

func allUnder(t *testing.T, objs map[string]string, keyARN string) {
	t.Helper()
	if len(objs) == 0 {
		t.Fatal("no objects")
	}
	for k, v := range objs {
		if v != "aws:kms "+keyARN {
			t.Errorf("%q is %q, want aws:kms under %s", k, v, keyARN)
		}
	}
}

// Switching a bucket from one key to another while sseguard's own upload statements name the old
// key: the bucket policy is changed before the objects are copied (a copy is an s3:PutObject with
// its encryption headers as condition keys), so every copy is allowed. And a copy refused by
// someone else's statement names that statement.
func TestE2ESwitchingKeysUnderEnforcedUploads(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, a, b := e.name("media"), e.alias("old"), e.alias("new")
	e.seedObjects(bucket, 12, "")
	aARN, _ := e.createKey(a)
	bARN, _ := e.createKey(b)
	body := "version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: %s\n    enforce_on_upload: true\n    existing_objects: reencrypt\n    prefixes: [videos/]\n"
	if code, out := e.sseguard(nil, "apply", "--policy", e.policy(fmt.Sprintf(body, a))); code != 0 {
		t.Fatalf("first apply = %d\n%s", code, out)
	}
	allUnder(t, e.encryptionOf(bucket), aARN)

	code, out := e.sseguard(nil, "apply", "--policy", e.policy(fmt.Sprintf(body, b)))
	if code != 0 || !strings.Contains(out, "12 fixed, 0 failed") {
		t.Fatalf("switching keys = %d, want 0 with every object fixed\n%s", code, out)
	}
	if i, j := strings.Index(out, "update-bucket-policy/"+bucket+"\n"), strings.Index(out, "reencrypt-objects/"+bucket+":"); i < 0 || j < 0 || i > j {
		t.Errorf("the bucket policy must change before the objects are copied:\n%s", out)
	}
	allUnder(t, e.encryptionOf(bucket), bARN)

	// Someone's statement freezes part of the bucket: the refused copies name it.
	frozen := e.name("frozen")
	e.seedObjects(frozen, 3, "")
	e.aws("s3api", "put-bucket-policy", "--bucket", frozen, "--policy", `{"Version":"2012-10-17","Statement":[{"Sid":"FreezeVideos","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::`+frozen+`/videos/*"}]}`)
	code, out = e.sseguard(nil, "apply", "--policy", e.policy("version: 1\nbuckets:\n  - name: "+frozen+"\n    encryption: sse-kms\n    kms_key: "+b+"\n    existing_objects: reencrypt\n"), "--json", e.dir+"/frozen.json")
	raw, _ := os.ReadFile(e.dir + "/frozen.json")
	if code != 1 || !strings.Contains(string(raw), `refused by bucket policy statement \"FreezeVideos\"`) {
		t.Errorf("copies refused by FreezeVideos = %d; the JSON plan should name the statement:\n%s\n%s", code, out, raw)
	}
}

// Dropping the last of sseguard's statements deletes the policy: S3 refuses a policy with an
// empty statement list.
func TestE2ERemovingOwnStatementsDeletesThePolicy(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket := e.name("thumbs")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	if code, out := e.sseguard(nil, "apply", "--policy", e.policy("version: 1\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-s3\n    require_tls: true\n")); code != 0 {
		t.Fatalf("apply with require_tls = %d\n%s", code, out)
	}
	if _, err := e.awsRaw("s3api", "get-bucket-policy", "--bucket", bucket); err != nil {
		t.Fatalf("no bucket policy after require_tls: %v", err)
	}
	code, out := e.sseguard(nil, "apply", "--policy", e.policy("version: 1\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-s3\n"))
	if code != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("apply without require_tls = %d, want 0 and the policy deleted\n%s", code, out)
	}
	if out, err := e.awsRaw("s3api", "get-bucket-policy", "--bucket", bucket); err == nil || !strings.Contains(string(out), "NoSuchBucketPolicy") {
		t.Errorf("the policy is still there: %s", out)
	}
}

// UpdateObjectEncryption refused (403) is remembered for the run and every object is copied
// instead; allowed, it re-encrypts every object in place under the generated apply policy.
func TestE2EUpdateObjectEncryption(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	alias := e.alias("media")
	keyARN, _ := e.createKey(alias)
	t.Run("refused: copies instead", func(t *testing.T) {
		bucket := e.name("refused")
		e.seedObjects(bucket, 10, "")
		// A layer of this test's own, over the shared moto, that refuses UpdateObjectEncryption.
		own, err := awstest.Start(context.Background(), awstest.Options{Upstream: layer.Upstream()})
		if err != nil {
			t.Fatal(err)
		}
		defer own.Close()
		own.DenyUpdateObjectEncryption(true)
		pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n    existing_objects: reencrypt\n")
		code, out := e.sseguard(append(os.Environ(), own.EnvWithKey("AKIAUOEREFUSED"+e.ns, "x")...), "apply", "--policy", pol, "--update-object-encryption", "always", "--concurrency", "4")
		if code != 0 || !strings.Contains(out, "10 fixed, 0 failed") {
			t.Fatalf("apply with UpdateObjectEncryption refused = %d, want every object copied\n%s", code, out)
		}
		if n := own.Counts()["UpdateObjectEncryption"]; n != 1 {
			t.Errorf("%d UpdateObjectEncryption requests, want 1 (the refusal is remembered for the run)", n)
		}
		allUnder(t, e.encryptionOf(bucket), keyARN)
	})
	t.Run("allowed: in place, under the generated policy", func(t *testing.T) {
		bucket := e.name("inplace")
		e.seedObjects(bucket, 10, "")
		pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n    existing_objects: reencrypt\n")
		before := layer.Counts()["CopyObject"]
		code, out := e.sseguard(nil, "apply", "--policy", pol, "--update-object-encryption", "always")
		if code != 0 || !strings.Contains(out, "10 fixed, 0 failed") {
			t.Fatalf("apply = %d\n%s", code, out)
		}
		_ = before // copies of other tests run in parallel; the objects' ETags tell instead
		allUnder(t, e.encryptionOf(bucket), keyARN)
	})
}

// KMS says AccessDeniedException (S3 says AccessDenied): a key policy sseguard may not read is a
// blocker naming the refused action and the key.
func TestE2EUnreadableKeyPolicyIsABlocker(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("media"), e.alias("media")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	keyARN, _ := e.createKey(alias)
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n")
	e.grant("plan", pol)
	e.ownIAM = true
	// The generated plan policy, and an explicit Deny of kms:GetKeyPolicy on top.
	var doc map[string]any
	out, _ := exec.Command(genBinary, "iam-policy", "--role", "plan", "--policy", pol, "--account", "123456789012").Output()
	json.Unmarshal(out, &doc)
	doc["Statement"] = append(doc["Statement"].([]any), map[string]any{"Effect": "Deny", "Action": "kms:GetKeyPolicy", "Resource": "*"})
	b, _ := json.Marshal(doc)
	if err := layer.SetIdentityPolicy(e.key, string(b)); err != nil {
		t.Fatal(err)
	}
	code, text := e.sseguard(e.runEnv(), "plan", "--policy", pol)
	if code != 1 || !strings.Contains(text, "[key-unreadable]") || !strings.Contains(text, "kms:GetKeyPolicy") || !strings.Contains(text, keyARN) {
		t.Errorf("plan = %d, want a key-unreadable blocker naming kms:GetKeyPolicy and %s\n%s", code, keyARN, text)
	}
}

// Rotation is only planned for keys KMS can rotate: for imported key material a warning says
// what to do instead, and apply does not fail on EnableKeyRotation.
func TestE2ERotationOnlyWhereKMSCanRotate(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("media"), e.alias("imported")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	keyARN, keyID := e.createKey(alias)
	layer.MarkKey(keyID, awstest.KeyImported)
	e.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
		`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"`+keyARN+`"},"BucketKeyEnabled":true}]}`)
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n")
	code, out := e.sseguard(nil, "apply", "--policy", pol)
	if code != 0 || strings.Contains(out, "enable-key-rotation") || !strings.Contains(out, "[rotation-unsupported]") || !strings.Contains(out, "imported") {
		t.Errorf("apply = %d, want 0 with a rotation-unsupported warning and no rotation change\n%s", code, out)
	}
}

// Any key S3 can store is listed and fixed (ListObjectsV2 with encoding-type=url: a control
// character in a key is not valid XML 1.0).
func TestE2EAnyObjectKeyIsScannedAndFixed(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("odd-keys"), e.alias("media")
	keyARN, _ := e.createKey(alias)
	e.withBucket(bucket).py(`
s3.create_bucket(Bucket=BUCKET)
for k in ["ctl\x01key", "esc\x1b]0;title\x07", "100% sure", "a+b c", "日本語/ファイル", "/", "::error::x", "##[set-output name=a]b"]:
    s3.put_object(Bucket=BUCKET, Key=k, Body=b"x")
`, nil)
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n    existing_objects: reencrypt\n")
	code, out := e.sseguard(nil, "apply", "--policy", pol)
	if code != 0 || !strings.Contains(out, "8 fixed, 0 failed") {
		t.Fatalf("apply = %d, want every key fixed\n%s", code, out)
	}
	allUnder(t, e.encryptionOf(bucket), keyARN)
}

// A policy that names a deleted principal (AWS shows its unique id, and refuses to store a policy
// holding one): the plan names the statement and blocks that change only.
func TestE2EDeletedPrincipalBlocksItsPolicyChangeOnly(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket := e.name("media")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	reader := e.roles("Reader")[0]
	e.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", `{"Version":"2012-10-17","Statement":[{"Sid":"OldReader","Effect":"Allow","Principal":{"AWS":"`+reader+`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::`+bucket+`/*"}]}`)
	e.aws("iam", "delete-role", "--role-name", e.name("Reader"))
	e.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
		`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"}}]}`)
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-s3\n    require_tls: true\n")
	code, out := e.sseguard(nil, "apply", "--policy", pol)
	if code != 1 || !strings.Contains(out, "[policy-deleted-principal]") || !strings.Contains(out, `"OldReader"`) || !strings.Contains(out, "AROA") {
		t.Fatalf("apply = %d, want 1 with a policy-deleted-principal blocker naming OldReader\n%s", code, out)
	}
	if !strings.Contains(out, "done       set-default-encryption/"+bucket) {
		t.Errorf("the bucket's other change should still be made:\n%s", out)
	}
	got, _ := e.aws("s3api", "get-bucket-policy", "--bucket", bucket)["Policy"].(string)
	if strings.Contains(got, "Sseguard") || !strings.Contains(got, "OldReader") {
		t.Errorf("the bucket policy was rewritten:\n%s", got)
	}
}

// Bucket configuration is eventually consistent: apply reads back again, with pauses, before it
// calls a change unverified.
func TestE2EVerifyWaitsForEventualConsistency(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket := e.name("media")
	own, err := awstest.Start(context.Background(), awstest.Options{Upstream: layer.Upstream(), ConsistencyDelay: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	env := append(os.Environ(), own.EnvWithKey("AKIADELAY"+e.ns, "x")...)
	e.env = env
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	e.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
		`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"}}]}`)
	time.Sleep(2100 * time.Millisecond)
	code, out := e.sseguard(env, "apply", "--policy", e.policy("version: 1\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-s3\n"))
	if code != 0 || strings.Contains(out, "unverified") || !strings.Contains(out, "not visible yet") {
		t.Errorf("apply = %d, want 0: done once the change shows, after reading again\n%s", code, out)
	}
}

// The upload Deny accepts the key however a client names it: a transcoder naming the key by
// alias, id or alias ARN is not refused; another key and SSE-S3 are.
func TestE2EUploadsNamingTheKeyAnyWayAreAccepted(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("media"), e.alias("media")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	keyARN, keyID := e.createKey(alias)
	otherARN, _ := e.createKey("")
	if code, out := e.sseguard(nil, "apply", "--policy", e.policy("version: 1\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-kms\n    kms_key: "+alias+"\n    enforce_on_upload: true\n")); code != 0 {
		t.Fatalf("apply = %d\n%s", code, out)
	}
	n := 0
	file := e.dir + "/segment.ts"
	if err := os.WriteFile(file, []byte("segment"), 0o644); err != nil {
		t.Fatal(err)
	}
	put := func(args ...string) error {
		n++
		out, err := e.awsRaw(append([]string{"s3api", "put-object", "--bucket", bucket, "--key", fmt.Sprintf("up/%d", n), "--body", file}, args...)...)
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	for _, ref := range []string{keyARN, keyID, alias, "arn:aws:kms:us-east-1:123456789012:" + alias} {
		if err := put("--server-side-encryption", "aws:kms", "--ssekms-key-id", ref); err != nil {
			t.Errorf("upload naming the key as %s refused: %v", ref, err)
		}
	}
	if err := put(); err != nil {
		t.Errorf("upload without encryption headers refused: %v", err)
	}
	for _, args := range [][]string{{"--server-side-encryption", "aws:kms", "--ssekms-key-id", otherARN}, {"--server-side-encryption", "AES256"}, {"--server-side-encryption", "aws:kms"}} {
		if err := put(args...); err == nil {
			t.Errorf("upload with %v allowed, want refused", args)
		}
	}
}

// An object's website redirect survives re-encryption (a copy drops it unless it is sent again).
func TestE2EWebsiteRedirectIsNeverLost(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("site"), e.alias("site")
	keyARN, _ := e.createKey(alias)
	e.seedObjects(bucket, 150, `s3.copy_object(Bucket=BUCKET, Key=key, CopySource={"Bucket": BUCKET, "Key": key}, MetadataDirective="COPY", WebsiteRedirectLocation="/to/%d" % i)`)
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n    existing_objects: reencrypt\n")
	if code, out := e.sseguard(nil, "apply", "--policy", pol); code != 0 {
		t.Fatalf("apply = %d\n%s", code, out)
	}
	var lost []string
	e.withBucket(bucket).py(`
lost = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
    for o in page.get("Contents", []):
        i = int(o["Key"].split("/")[1].split(".")[0])
        if s3.head_object(Bucket=BUCKET, Key=o["Key"]).get("WebsiteRedirectLocation") != "/to/%d" % i:
            lost.append(o["Key"])
print(json.dumps(lost))
`, &lost)
	if len(lost) > 0 {
		t.Errorf("%d objects lost their website redirect: %v", len(lost), lost)
	}
	allUnder(t, e.encryptionOf(bucket), keyARN)
}

// EnableKeyRotation failing right after CreateKey does not fail the key: key and alias exist and
// are reported done; the rotation failure is reported on its own (and the bucket waits for it).
func TestE2ERotationFailureAfterCreateKeyIsItsOwn(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("media"), e.alias("fresh")
	own, err := awstest.Start(context.Background(), awstest.Options{Upstream: layer.Upstream()})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	own.SetHandle(func(op string, w http.ResponseWriter, r *http.Request) bool {
		if op == "kms:EnableKeyRotation" {
			awstest.WriteKMSError(w, "AccessDeniedException", "not authorized to perform kms:EnableKeyRotation")
			return true
		}
		return false
	})
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	env := append(os.Environ(), own.EnvWithKey("AKIAROT"+e.ns, "x")...)
	code, out := e.sseguard(env, "apply", "--policy", e.policy("version: 1\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-kms\n    kms_key: "+alias+"\n"))
	if code != 1 || !regexp.MustCompile(`done\s+create-key/us-east-1/`+regexp.QuoteMeta(alias)+`: arn:aws:kms:`).MatchString(out) ||
		!regexp.MustCompile(`failed\s+enable-key-rotation/us-east-1/`+regexp.QuoteMeta(alias)).MatchString(out) {
		t.Fatalf("apply = %d, want the key done and the rotation failed on its own\n%s", code, out)
	}
	if _, err := e.awsRaw("kms", "describe-key", "--key-id", alias); err != nil {
		t.Errorf("the alias does not exist: %v", err)
	}
}

// A key an earlier run left unnamed is adopted, and throttling while reading key tags never makes
// a second key: the change fails and says why; the next run adopts.
func TestE2EThrottledKeyTagsNeverMakeASecondKey(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("media"), e.alias("adopt")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	orphan := e.aws("kms", "create-key", "--tags", "TagKey=sseguard:alias,TagValue="+alias)
	orphanID := dig(orphan, "KeyMetadata", "KeyId").(string)
	own, err := awstest.Start(context.Background(), awstest.Options{Upstream: layer.Upstream()})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	var throttle atomic.Bool
	throttle.Store(true)
	own.SetHandle(func(op string, w http.ResponseWriter, r *http.Request) bool {
		if op == "kms:ListResourceTags" && throttle.Load() {
			awstest.WriteKMSError(w, "ThrottlingException", "Rate exceeded")
			return true
		}
		return false
	})
	env := append(os.Environ(), own.EnvWithKey("AKIATHR"+e.ns, "x")...)
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n")
	code, out := e.sseguard(env, "apply", "--policy", pol)
	if code != 1 || !strings.Contains(out, "could not check whether an earlier run left a key") {
		t.Fatalf("apply while throttled = %d, want the key change failed, saying why\n%s", code, out)
	}
	if n := e.keysTagged(alias); n != 1 {
		t.Fatalf("%d keys tagged for %s after a throttled run, want only the orphan", n, alias)
	}
	throttle.Store(false)
	if code, out = e.sseguard(env, "apply", "--policy", pol); code != 0 || !strings.Contains(out, "adopted") {
		t.Fatalf("apply = %d, want the orphan adopted\n%s", code, out)
	}
	if id := dig(e.aws("kms", "describe-key", "--key-id", alias), "KeyMetadata", "KeyId"); id != orphanID || e.keysTagged(alias) != 1 {
		t.Errorf("%s → %v, want the orphan %s and no second key", alias, id, orphanID)
	}
}

// AWS_REGION never overrides the policy file's region: the calls not tied to a bucket's region
// (STS, GetBucketLocation) are signed for the file's region.
func TestE2EPolicyRegionWinsOverAWSRegion(t *testing.T) {
	e := newE2E(t)
	bucket := e.name("media")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	own, err := awstest.Start(context.Background(), awstest.Options{Upstream: layer.Upstream()})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	var mu sync.Mutex
	regions := map[string]string{}
	scope := regexp.MustCompile(`Credential=[^/]+/[0-9]+/([a-z0-9-]+)/`)
	own.SetBefore(func(op string, r *http.Request) {
		if m := scope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			mu.Lock()
			regions[op] = m[1]
			mu.Unlock()
		}
	})
	env := append(append(os.Environ(), own.EnvWithKey("AKIAREG"+e.ns, "x")...), "AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1")
	if code, out := e.sseguard(env, "plan", "--policy", e.policy("version: 1\nregion: us-east-2\nbuckets:\n  - name: "+bucket+"\n    encryption: sse-s3\n")); code != 0 {
		t.Fatalf("plan = %d\n%s", code, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if regions["GetBucketLocation"] != "us-east-2" || regions["sts:GetCallerIdentity"] != "us-east-2" {
		t.Errorf("signing regions %v: want the file's us-east-2 for STS and GetBucketLocation, not AWS_REGION", regions)
	}
}

// No hard-coded partition: what sseguard would write (key policy, bucket policy, alias ARNs) is
// built in the caller's partition, as GetCallerIdentity gives it. moto speaks only the aws
// partition, so the layer answers GetCallerIdentity as AWS GovCloud (US) would; the test plans
// (nothing it writes could be stored in moto's partition) and reads the documents from the JSON.
func TestE2EPartitionComesFromTheCaller(t *testing.T) {
	e := newE2E(t)
	bucket, alias := e.name("gov"), e.alias("gov")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	own, err := awstest.Start(context.Background(), awstest.Options{Upstream: layer.Upstream()})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	own.SetHandle(func(op string, w http.ResponseWriter, r *http.Request) bool {
		if op != "sts:GetCallerIdentity" {
			return false
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws-us-gov:iam::123456789012:user/gov</Arn><UserId>AIDAGOVEXAMPLE</UserId><Account>123456789012</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>gov</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
		return true
	})
	admin := e.roles("KeyAdmin")[0]
	pol := e.policy("version: 1\nkeys:\n  - alias: " + alias + "\n    administrators: [" + admin + "]\nbuckets:\n  - name: " + bucket +
		"\n    encryption: sse-kms\n    kms_key: " + alias + "\n    enforce_on_upload: true\n    require_tls: true\n")
	jsonPath := e.dir + "/gov.json"
	if code, out := e.sseguard(append(os.Environ(), own.EnvWithKey("AKIAGOV"+e.ns, "x")...), "plan", "--policy", pol, "--json", jsonPath); code != 0 {
		t.Fatalf("plan = %d\n%s", code, out)
	}
	raw, _ := os.ReadFile(jsonPath)
	var doc struct {
		Plan struct {
			Changes []struct {
				Kind     string
				Document string
				Key      *struct{ Policy string }
			}
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var written []string
	for _, c := range doc.Plan.Changes {
		if c.Document != "" {
			written = append(written, c.Document)
		}
		if c.Key != nil {
			written = append(written, c.Key.Policy)
		}
	}
	all := strings.Join(written, "\n")
	for _, want := range []string{"arn:aws-us-gov:iam::123456789012:root", "arn:aws-us-gov:s3:::" + bucket + "/*", "arn:aws-us-gov:kms:us-east-1:123456789012:" + alias} {
		if !strings.Contains(all, want) {
			t.Errorf("the documents sseguard would write lack %s", want)
		}
	}
	// The administrator's ARN is the file's (it names the aws partition here); nothing else
	// sseguard builds may be in another partition than the caller's.
	if rest := strings.ReplaceAll(all, admin, ""); strings.Contains(rest, "arn:aws:") {
		t.Errorf("an ARN built in the aws partition, not the caller's:\n%s", all)
	}
}
