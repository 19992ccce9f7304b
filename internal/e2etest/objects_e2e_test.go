package e2etest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// py runs a boto3 script against the emulator (through the layer) and decodes the JSON it prints:
// state is set up and checked independently of sseguard's own code (and far faster than one CLI
// call per object). The script sees the test's bucket as BUCKET.
func (e *e2e) py(script string, out any) {
	e.t.Helper()
	e.pyEnv(e.env, script, out)
}

func (e *e2e) pyEnv(env []string, script string, out any) {
	e.t.Helper()
	prelude := `
import boto3, json, os, hashlib
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
kms = boto3.client("kms", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
BUCKET = os.environ.get("BUCKET", "")
`
	cmd := exec.Command("python3", "-c", prelude+script)
	cmd.Env = env
	raw, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			e.t.Fatalf("python: %v\n%s", err, ee.Stderr)
		}
		e.t.Fatalf("python3 with boto3 is required for this test (pip install boto3): %v", err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("python output: %v\n%s", err, raw)
		}
	}
}

// withBucket returns the admin environment with BUCKET set for py scripts.
func (e *e2e) withBucket(bucket string) *e2e {
	c := *e
	c.env = append(append([]string(nil), e.env...), "BUCKET="+bucket)
	return &c
}

type objState struct {
	SSE, Key, ETag, Sum, Type, Redirect string
	Meta                                map[string]string
	Tags                                map[string]string
}

// sameContent: the same bytes, content type, user metadata, tags and website redirect
// (encryption aside).
func (o objState) sameContent(p objState) bool {
	return o.Sum == p.Sum && o.Type == p.Type && o.Redirect == p.Redirect && maps.Equal(o.Meta, p.Meta) && maps.Equal(o.Tags, p.Tags)
}

const snapshot = `
from concurrent.futures import ThreadPoolExecutor
def one(key):
    h = s3.head_object(Bucket=BUCKET, Key=key)
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    tags = s3.get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"]
    return key, {"SSE": h.get("ServerSideEncryption", ""), "Key": h.get("SSEKMSKeyId", ""), "ETag": h["ETag"],
        "Sum": hashlib.sha256(body).hexdigest(), "Type": h.get("ContentType", ""), "Meta": h.get("Metadata", {}),
        "Redirect": h.get("WebsiteRedirectLocation", ""), "Tags": {t["Key"]: t["Value"] for t in tags}}
keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, EncodingType="url") for o in page.get("Contents", [])]
from urllib.parse import unquote_plus
keys = [unquote_plus(k) for k in keys]
with ThreadPoolExecutor(16) as pool:
    out = dict(pool.map(one, keys))
print(json.dumps(out))
`

// headsOnly reads each object's encryption and ETag: "SSE key-id etag".
const headsOnly = `
from concurrent.futures import ThreadPoolExecutor
def one(key):
    h = s3.head_object(Bucket=BUCKET, Key=key)
    return key, "%s %s %s" % (h.get("ServerSideEncryption", ""), h.get("SSEKMSKeyId", ""), h["ETag"])
keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET) for o in page.get("Contents", [])]
with ThreadPoolExecutor(16) as pool:
    print(json.dumps(dict(pool.map(one, keys))))
`

// The scenario: objects with no encryption header, SSE-S3 and another KMS key; user
// metadata, content types, tags; a few above a lowered multipart threshold; through the built
// binary, every object checked with boto3 before and after: 30 objects and two large ones in
// the fast tier (ten of each kind), 2,000 and three with SSEGUARD_LONG=1.
func TestE2EExistingObjectsReportThenReencrypt(t *testing.T) {
	e := newE2E(t)
	bucket, alias := e.name("media-hls"), e.alias("media")
	e = e.withBucket(bucket)
	n, big := 30, 2
	if long {
		n, big = 2000, 3
	}
	var seeded struct{ Other, Wanted string }
	e.py(fmt.Sprintf(`
from concurrent.futures import ThreadPoolExecutor
s3.create_bucket(Bucket=BUCKET)
other = kms.create_key(Description="old")["KeyMetadata"]["Arn"]
wanted = kms.create_key(Description="media")["KeyMetadata"]
kms.create_alias(AliasName=%s, TargetKeyId=wanted["KeyId"])
def put(i):
    extra = {}
    if i %% 3 == 1: extra = {"ServerSideEncryption": "AES256"}
    if i %% 3 == 2: extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": other}
    s3.put_object(Bucket=BUCKET, Key="videos/%%04d/seg.ts" %% i, Body=os.urandom(512 + i %% 700),
        ContentType=["video/mp2t", "application/x-mpegURL", "image/jpeg"][i %% 3],
        Metadata={"episode": str(i)}, Tagging="team=media&n=%%d" %% i, **extra)
with ThreadPoolExecutor(16) as pool:
    list(pool.map(put, range(%d)))
for i in range(%d):
    s3.put_object(Bucket=BUCKET, Key="videos/master-%%d.mov" %% i, Body=os.urandom(6 << 20),
        ContentType="video/quicktime", Metadata={"master": str(i)}, Tagging="team=media&size=big",
        ServerSideEncryption="AES256")
s3.put_object(Bucket=BUCKET, Key="outside/readme.txt", Body=b"not under the prefix")
print(json.dumps({"Other": other, "Wanted": wanted["Arn"]}))
`, pyStr(alias), n, big), &seeded)
	var before map[string]objState
	e.py(snapshot, &before)

	body := `version: 1
buckets:
  - name: ` + bucket + `
    encryption: sse-kms
    kms_key: ` + alias + `
    existing_objects: %s
    prefixes: [videos/]
`
	pol := e.policy(strings.Replace(body, "%s", "report", 1))
	jsonPath := filepath.Join(e.dir, "plan.json")
	code, out := e.sseguard(nil, "plan", "--policy", pol, "--json", jsonPath)
	if code != 0 {
		t.Fatalf("plan (report) = %d\n%s", code, out)
	}
	// The counts must be what boto3 sees under the prefix (objects uploaded without a header
	// are SSE-S3, as every bucket's default has been since 2023).
	want := map[string]int{}
	inPrefix := 0
	for k, o := range before {
		if !strings.HasPrefix(k, "videos/") {
			continue
		}
		inPrefix++
		switch {
		case o.SSE == "":
			want["unencrypted"]++
		case o.SSE == "AES256":
			want["sse-s3"]++
		case o.Key != seeded.Wanted:
			want["other-kms-key"]++
		}
	}
	var doc struct {
		Plan struct {
			Buckets []struct {
				Objects struct {
					Scanned int            `json:"scanned"`
					ToFix   map[string]int `json:"to_fix"`
				} `json:"objects"`
			} `json:"buckets"`
		} `json:"plan"`
		Objects []struct {
			Bucket string `json:"bucket"`
			Key    string `json:"key"`
			Kind   string `json:"kind"`
		} `json:"objects"`
	}
	raw, _ := os.ReadFile(jsonPath)
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Plan.Buckets) != 1 {
		t.Fatalf("JSON plan: %v", err)
	}
	if got := doc.Plan.Buckets[0].Objects; got.Scanned != inPrefix || !maps.Equal(got.ToFix, want) {
		t.Fatalf("report counts: scanned %d %v; boto3 sees %d objects %v", got.Scanned, got.ToFix, inPrefix, want)
	}
	if len(doc.Objects) != inPrefix {
		t.Fatalf("JSON plan lists %d objects, want all %d", len(doc.Objects), inPrefix)
	}
	for _, o := range doc.Objects {
		if o.Bucket != bucket || !strings.HasPrefix(o.Key, "videos/") || o.Kind == "" {
			t.Fatalf("JSON plan object %+v", o)
		}
	}
	if code, out = e.sseguard(nil, "apply", "--policy", pol); code != 0 {
		t.Fatalf("apply (report) = %d\n%s", code, out)
	}
	// Report mode changed nothing: every object's encryption and ETag as before.
	var afterReport map[string]string
	e.py(headsOnly, &afterReport)
	before2 := map[string]string{}
	for k, o := range before {
		before2[k] = o.SSE + " " + o.Key + " " + o.ETag
	}
	if diff := cmp.Diff(before2, afterReport); diff != "" {
		t.Fatalf("report mode changed objects (-before +after):\n%s", diff)
	}

	pol = e.policy(strings.Replace(body, "%s", "reencrypt", 1))
	if code, out = e.sseguard(nil, "apply", "--policy", pol, "--multipart-threshold", "5242880"); code != 0 || !strings.Contains(out, fmt.Sprintf("%d fixed", inPrefix)) {
		t.Fatalf("apply (reencrypt) = %d\n%s", code, out)
	}
	var after map[string]objState
	e.py(snapshot, &after)
	if len(after) != len(before) {
		t.Fatalf("%d objects after, %d before", len(after), len(before))
	}
	for k, b := range before {
		a := after[k]
		if strings.HasPrefix(k, "outside/") {
			if a.SSE != b.SSE {
				t.Errorf("%s is outside the policy's prefixes but was changed", k)
			}
			continue
		}
		if a.SSE != "aws:kms" || (a.Key != seeded.Wanted && !strings.HasSuffix(seeded.Wanted, a.Key)) {
			t.Errorf("%s: %s %s, want aws:kms with %s", k, a.SSE, a.Key, seeded.Wanted)
		}
		if !a.sameContent(b) {
			t.Errorf("%s changed: %+v → %+v", k, b, a)
		}
	}
	if code, out = e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after re-encrypting = %d, want 0\n%s", code, out)
	}
}

// A budget stops a run cleanly; a run killed mid-way (SIGKILL, no chance to clean up) and then
// re-run finishes with every object intact, none lost or duplicated. The kill is triggered by the
// number of copies the layer has seen, not by a sleep. 240 objects with SSEGUARD_LONG=1.
func TestE2EReencryptStoppedHalfwayFinishesOnRerun(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("media-hls"), e.alias("media")
	n := 120
	if long {
		n = 240
	}
	// A layer of the test's own over the shared moto, so its copy count is this test's alone.
	own, err := awstest.Start(context.Background(), awstest.Options{Upstream: layer.Upstream()})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	e.env = append(append(os.Environ(), own.EnvWithKey("AKIAADMIN"+e.ns, "admin")...), "BUCKET="+bucket)
	e.py(fmt.Sprintf(`
s3.create_bucket(Bucket=BUCKET)
wanted = kms.create_key(Description="media")["KeyMetadata"]
kms.create_alias(AliasName=%s, TargetKeyId=wanted["KeyId"])
for i in range(%d):
    s3.put_object(Bucket=BUCKET, Key="v/%%03d.ts" %% i, Body=os.urandom(300 + i), ContentType="video/mp2t",
        Metadata={"i": str(i)}, Tagging="n=%%d" %% i, ServerSideEncryption="AES256")
`, pyStr(alias), n), nil)
	var before map[string]objState
	e.py(snapshot, &before)
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n    existing_objects: reencrypt\n")
	e.ownIAM = true // the runs below go through the test's own layer; the shared one sees none
	run := func(args ...string) (int, string) {
		return e.sseguard(append(os.Environ(), own.EnvWithKey(e.key, "sseguard")...), args...)
	}

	// A budget stops the run cleanly and says how many remain.
	code, out := run("apply", "--policy", pol, "--max-objects", "30")
	if code != 0 || !strings.Contains(out, "left for the next run") {
		t.Fatalf("apply --max-objects 30 = %d, want 0 and the count left\n%s", code, out)
	}
	// A run killed in the middle, once the layer has seen a third of the copies.
	own.ResetCounts()
	cmd := exec.Command(binary, "apply", "--policy", pol, "--concurrency", "4")
	cmd.Env = append(os.Environ(), own.EnvWithKey(e.key, "sseguard")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(2 * time.Minute)
wait:
	for {
		select {
		case <-exited:
			t.Fatalf("the run finished before the kill (%v copies seen)", own.Counts()["CopyObject"])
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("no copies after 2 minutes: %v", own.Counts())
		case <-time.After(5 * time.Millisecond):
			if own.Counts()["CopyObject"] >= n/3 {
				cmd.Process.Kill()
				<-exited
				break wait
			}
		}
	}
	var done struct{ KMS int }
	e.py(`
n = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
    for o in page.get("Contents", []):
        if s3.head_object(Bucket=BUCKET, Key=o["Key"]).get("ServerSideEncryption") == "aws:kms":
            n += 1
print(json.dumps({"KMS": n}))
`, &done)
	if done.KMS <= 30 || done.KMS >= len(before) {
		t.Fatalf("after the kill %d of %d objects are re-encrypted: the kill did not land mid-run", done.KMS, len(before))
	}
	t.Logf("killed with %d of %d re-encrypted", done.KMS, len(before))

	if code, out = run("apply", "--policy", pol); code != 0 {
		t.Fatalf("re-run = %d\n%s", code, out)
	}
	var after map[string]objState
	e.py(snapshot, &after)
	if len(after) != len(before) {
		t.Fatalf("%d objects after, %d before: something was lost or duplicated", len(after), len(before))
	}
	for k, b := range before {
		a := after[k]
		if a.SSE != "aws:kms" || !a.sameContent(b) {
			t.Errorf("%s: %+v → %+v", k, b, a)
		}
	}
	if code, out = run("plan", "--policy", pol, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after the re-run = %d, want 0\n%s", code, out)
	}
	// Applying again scans, finds nothing to fix, and says the account is in sync.
	if code, out = run("apply", "--policy", pol); code != 0 || !strings.Contains(out, "Nothing needed changing: In sync") {
		t.Errorf("apply on an account in sync = %d\n%s", code, out)
	}
}
