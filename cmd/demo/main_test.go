package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sseguard/sseguard/internal/demo"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

var update = flag.Bool("update", false, "rewrite cmd/demo/policy.example.yaml from the repository's policy.example.yaml")

// TestEmbeddedPolicyIsTheExample: the demo runs the repository's policy.example.yaml, byte for byte.
func TestEmbeddedPolicyIsTheExample(t *testing.T) {
	want, err := os.ReadFile("../../policy.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("policy.example.yaml", want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("rewrote cmd/demo/policy.example.yaml; run the tests again to use it")
		return
	}
	if !bytes.Equal(examplePolicy, want) {
		t.Fatal("cmd/demo/policy.example.yaml differs from ../../policy.example.yaml: " +
			"go test ./cmd/demo -run TestEmbeddedPolicyIsTheExample -update")
	}
}

// TestDemo runs the demo end to end through the strict AWS layer: the first plan has changes,
// apply does every one of them (media-hls's objects are copied under the new key while sseguard's
// upload-enforcing statements are in its bucket policy, which S3 applies to copies too), and the
// last plan is in sync. The state is then checked with boto3, independently of sseguard's code.
func TestDemo(t *testing.T) {
	layer := awstest.ForTest(t, awstest.Options{})
	var stdout, stderr bytes.Buffer
	start := time.Now()
	path, cleanup, err := demo.WritePolicy(examplePolicy)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	code := show(context.Background(), layer, path, &stdout, &stderr)
	took := time.Since(start)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("demo = %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	t.Logf("the demo took %v", took)
	if took > time.Minute {
		t.Errorf("the demo took %v; it should take well under a minute", took)
	}

	steps := strings.Split(out, "\n==> ")
	if len(steps) != 4 {
		t.Fatalf("the demo should show plan, apply and plan again:\n%s", out)
	}
	plan1, applied, plan2 := steps[1], steps[2], steps[3]
	if !strings.Contains(plan1, "changes pending") {
		t.Errorf("the first plan should have changes:\n%s", plan1)
	}
	if !strings.Contains(plan2, "In sync: 3 buckets match the policy.") {
		t.Errorf("the last plan should be in sync:\n%s", plan2)
	}

	planned := regexp.MustCompile(`(?m)^  \+ (\S+)$`).FindAllStringSubmatch(plan1, -1)
	if len(planned) == 0 {
		t.Fatalf("no change listed in the first plan:\n%s", plan1)
	}
	for _, m := range planned {
		if !regexp.MustCompile(`(?m)^done +` + regexp.QuoteMeta(m[1]) + `(:|$)`).MatchString(applied) {
			t.Errorf("apply did not do %s:\n%s", m[1], applied)
		}
	}
	if want := fmt.Sprintf("%d applied (3 buckets in the policy). Verified by reading the state back.", len(planned)); !strings.Contains(applied, want) {
		t.Errorf("apply should say %q:\n%s", want, applied)
	}
	if !strings.Contains(applied, "done       reencrypt-objects/media-hls: 12 scanned, 12 fixed, 0 failed") {
		t.Errorf("apply should re-encrypt media-hls's 12 objects:\n%s", applied)
	}

	checkCopiesUnderPolicy(t, layer)
	checkState(t, layer)
}

// checkCopiesUnderPolicy: nothing was refused or destroyed, and every copy of a media-hls object
// came after the last write of its bucket policy.
func checkCopiesUnderPolicy(t *testing.T, layer *awstest.Layer) {
	t.Helper()
	if refused := layer.Refused(); len(refused) > 0 {
		t.Errorf("the layer refused requests:\n%s", awstest.FormatActions(refused))
	}
	if sent := layer.Sent(awstest.Destructive...); len(sent) > 0 {
		t.Errorf("destructive operations sent: %v", sent)
	}
	var policyAt time.Time
	copies := 0
	for _, a := range layer.Actions() {
		switch {
		case a.Operation == "PutBucketPolicy" && a.Resource == "arn:aws:s3:::media-hls":
			policyAt = a.Time
		case a.Operation == "CopyObject" && a.Action == "s3:PutObject" && strings.HasPrefix(a.Resource, "arn:aws:s3:::media-hls/"):
			copies++
			if policyAt.IsZero() || a.Time.Before(policyAt) {
				t.Errorf("%s copied before sseguard's statements were in media-hls's bucket policy", a.Resource)
			}
		}
	}
	if copies != 12 {
		t.Errorf("%d copies into media-hls, want 12:\n%s", copies, awstest.FormatActions(layer.Actions()))
	}
}

// stateScript reads, through the layer, what the demo should have left: every media-hls object
// under the key alias/hls-adaptive-key names (metadata kept), the bucket policy with its own
// statement and sseguard's, that policy refusing an upload that asks for SSE-S3 and accepting one
// naming the key by alias, and each bucket's default encryption. Metadata keys are compared
// lowercased: S3 returns them lowercase ("Working with object metadata",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html), but the layer's Go
// proxy canonicalises header names (x-amz-meta-episode reaches boto3 as X-Amz-Meta-Episode).
const stateScript = `
import boto3, json
s3 = boto3.client("s3", region_name="us-east-1")
kms = boto3.client("kms", region_name="us-east-1")
kms_eu = boto3.client("kms", region_name="eu-west-1")
arn = lambda c, k: c.describe_key(KeyId=k)["KeyMetadata"]["Arn"]
want = arn(kms, "alias/hls-adaptive-key")
objs = []
for o in s3.list_objects_v2(Bucket="media-hls", Prefix="videos/")["Contents"]:
    h = s3.head_object(Bucket="media-hls", Key=o["Key"])
    objs.append({"key": o["Key"], "sse": h.get("ServerSideEncryption"),
                 "ok_key": arn(kms, h["SSEKMSKeyId"]) == want if "SSEKMSKeyId" in h else False,
                 "episode": {k.lower(): v for k, v in h["Metadata"].items()}.get("episode"), "type": h["ContentType"]})
sids = sorted(s.get("Sid", "") for s in json.loads(s3.get_bucket_policy(Bucket="media-hls")["Policy"])["Statement"])
try:
    s3.put_object(Bucket="media-hls", Key="videos/new.m3u8", Body=b"x", ServerSideEncryption="AES256")
    wrong = "accepted"
except s3.exceptions.ClientError as e:
    wrong = e.response["Error"]["Code"]
s3.put_object(Bucket="media-hls", Key="videos/new.m3u8", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/hls-adaptive-key")
rules = {}
for b, c, region in [("media-hls", kms, "us-east-1"), ("media-thumbnails", kms, "us-east-1"), ("media-masters-eu", kms_eu, "eu-west-1")]:
    d = boto3.client("s3", region_name=region).get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    rules[b] = d["SSEAlgorithm"] + ("" if "KMSMasterKeyID" not in d else " " + arn(c, d["KMSMasterKeyID"]))
print(json.dumps({"objects": objs, "sids": sids, "wrong_upload": wrong, "rules": rules,
                  "hls_key": want, "archive_key": arn(kms_eu, "alias/archive-key")}))
`

func checkState(t *testing.T, layer *awstest.Layer) {
	t.Helper()
	cmd := exec.Command("python3", "-c", stateScript)
	cmd.Env = append(os.Environ(), layer.Env()...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 with boto3 is required for this test (pip install boto3): %v\n%s", err, stderr.String())
	}
	var got struct {
		Objects []struct {
			Key, SSE, Episode, Type string
			OKKey                   bool `json:"ok_key"`
		}
		Sids        []string
		WrongUpload string `json:"wrong_upload"`
		Rules       map[string]string
		HLSKey      string `json:"hls_key"`
		ArchiveKey  string `json:"archive_key"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	if len(got.Objects) != 12 {
		t.Errorf("media-hls holds %d objects under videos/, want 12", len(got.Objects))
	}
	for _, o := range got.Objects {
		if o.SSE != "aws:kms" || !o.OKKey || o.Episode == "" || o.Type != "application/vnd.apple.mpegurl" {
			t.Errorf("%s: %+v, want SSE-KMS under alias/hls-adaptive-key with its metadata and content type kept", o.Key, o)
		}
	}
	for _, sid := range []string{"AllowCloudFrontRead", "SseguardDenyWrongEncryptionHeader", "SseguardDenyWrongKmsKey", "SseguardDenyKmsWithoutKeyId"} {
		if !slices.Contains(got.Sids, sid) {
			t.Errorf("media-hls's bucket policy lacks %s: %v", sid, got.Sids)
		}
	}
	if got.WrongUpload != "AccessDenied" {
		t.Errorf("an SSE-S3 upload to media-hls answered %q, want AccessDenied", got.WrongUpload)
	}
	want := map[string]string{
		"media-hls":        "aws:kms " + got.HLSKey,
		"media-thumbnails": "AES256",
		"media-masters-eu": "aws:kms " + got.ArchiveKey,
	}
	for b, w := range want {
		if got.Rules[b] != w {
			t.Errorf("default encryption of %s = %q, want %q", b, got.Rules[b], w)
		}
	}
}
