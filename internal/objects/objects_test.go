package objects

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

// independentScan classifies every object of a bucket with boto3, not with this package.
const independentScan = `
import boto3, json, sys, concurrent.futures as cf
endpoint, bucket, target, bucket_key = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "true"
s3 = boto3.client("s3", endpoint_url=endpoint)
kms = boto3.client("kms", endpoint_url=endpoint)
keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in p.get("Contents", [])]
arns = {}
def arn(ref):
    if ref not in arns:
        arns[ref] = kms.describe_key(KeyId=ref)["KeyMetadata"]["Arn"]
    return arns[ref]
def kind(k):
    h = s3.head_object(Bucket=bucket, Key=k)
    sse = h.get("ServerSideEncryption")
    if sse is None: return "unencrypted"
    if sse == "AES256": return "sse-s3"
    if arn(h["SSEKMSKeyId"]) != target: return "other-kms-key"
    if bucket_key and not h.get("BucketKeyEnabled", False): return "bucket-key-off"
    return "compliant"
counts = {}
with cf.ThreadPoolExecutor(16) as ex:
    for k in ex.map(kind, keys):
        counts[k] = counts.get(k, 0) + 1
print(json.dumps({"listed": len(keys), "kinds": counts}))
`

type independent struct {
	Listed int            `json:"listed"`
	Kinds  map[string]int `json:"kinds"`
}

// scanWithBoto3 runs independentScan through the layer, with the test's access key: one process.
func scanWithBoto3(t *testing.T, e *env, bucket, target string, bucketKey bool) independent {
	t.Helper()
	cmd := exec.Command("python3", "-c", independentScan, e.layer.URL, bucket, target, map[bool]string{true: "true", false: "false"}[bucketKey])
	cmd.Env = append(os.Environ(), e.layer.EnvWithKey(e.akid, "testing")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("independent boto3 scan: %v\n%s", err, out)
	}
	var got independent
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("independent boto3 scan: %v\n%s", err, out)
	}
	return got
}

// snapshot is every object's ETag and Last-Modified: what a read-only scan must not change.
func snapshot(t *testing.T, c *s3.Client, bucket string) map[string]string {
	t.Helper()
	m := map[string]string{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			m[aws.ToString(o.Key)] = aws.ToString(o.ETag) + " " + aws.ToTime(o.LastModified).String()
		}
	}
	return m
}

// TestScanThenFixMixedBucket: a bucket of every kind of object (unencrypted, SSE-S3, another key by
// id, alias or ARN, the required key; odd keys; objects above the multipart threshold) is scanned
// without a change, fixed, and found compliant. 90 objects, one of them multipart (every kind,
// odd key and header of the generator's cycles), or 2,000 (four multipart) with SSEGUARD_LONG=1.
func TestScanThenFixMixedBucket(t *testing.T) {
	t.Parallel()
	e := newEnv(t, shared)
	c := e.s3
	ctx := context.Background()
	required, other := createKey(t, e.kms, "alias/mixed-required"), createKey(t, e.kms, "alias/mixed-other")
	bucket := e.legacyBucket(t, "mixed", true)
	// Bucket keys are not required here: moto drops x-amz-server-side-encryption-bucket-key-enabled
	// on CreateMultipartUpload (AWS keeps it). TestBudgetStopsAndARerunFinishes covers bucket-key-off.
	specs := mixed(scaled(90, 2000), scaled(1, 4), required, other, false)
	start := time.Now()
	seed(t, e.moto, bucket, specs)
	t.Logf("seeded %d objects in %s", len(specs), time.Since(start))
	res := e.resolver()
	target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN}

	before := snapshot(t, c, bucket)
	var findings []Finding
	scan, err := Scan(ctx, c, res, target, Options{OnFinding: func(f Finding) { findings = append(findings, f) }})
	if err != nil {
		t.Fatal(err)
	}
	want := expectedKinds(specs)
	if d := cmp.Diff(want, scan.ToFix); d != "" {
		t.Errorf("Scan ToFix (-seeded +scanned):\n%s", d)
	}
	t.Logf("scan: %s", scan.Duration)
	if d := cmp.Diff(before, snapshot(t, c, bucket)); d != "" {
		t.Errorf("Scan changed objects (-before +after):\n%s", d)
	}
	if n := countWithCLI(t, e, bucket); scan.Scanned != n || scan.Compliant != n-summaryToFix(scan) || len(findings) != summaryToFix(scan) {
		t.Errorf("Scan: scanned %d compliant %d findings %d; the aws CLI lists %d objects", scan.Scanned, scan.Compliant, len(findings), n)
	}
	if len(scan.Sample) != DefaultSampleSize || scan.Stopped != "" || scan.Remaining != 0 {
		t.Errorf("Scan: sample %d, stopped %q, remaining %d", len(scan.Sample), scan.Stopped, scan.Remaining)
	}
	for _, op := range []string{opCopy, opUpdateEncryption, opCreateMPU, opACL} {
		if scan.Requests[op] != 0 {
			t.Errorf("Scan sent %d %s", scan.Requests[op], op)
		}
	}
	if scan.Requests[opHead] != len(specs) {
		t.Errorf("Scan sent %d HeadObject for %d objects", scan.Requests[opHead], len(specs))
	}
	// Key ids and aliases resolve once per run, not once per object.
	if res.calls > 4 {
		t.Errorf("resolver called %d times", res.calls)
	}

	var progress []Progress
	var mu sync.Mutex
	fix, err := Fix(ctx, c, res, target, Options{
		MultipartThreshold: 5 << 20, PartSize: 5 << 20, ProgressInterval: 500 * time.Millisecond,
		Progress: func(p Progress) { mu.Lock(); progress = append(progress, p); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fix: fixed %d in %s, requests %v", fix.Fixed, fix.Duration, fix.Requests)
	if fix.Fixed != summaryToFix(scan) || fix.Failed != 0 || len(fix.Skipped) != 0 {
		t.Errorf("Fix: fixed %d failed %d skipped %v, want %d fixed", fix.Fixed, fix.Failed, fix.Skipped, summaryToFix(scan))
	}
	if fix.Requests[opUpdateEncryption] != 0 || fix.UpdateObjectEncryption != "unused" {
		t.Errorf("Fix against moto sent %d UpdateObjectEncryption (%s); auto must never send it to a non-AWS endpoint", fix.Requests[opUpdateEncryption], fix.UpdateObjectEncryption)
	}
	if fix.Requests[opCreateMPU] == 0 || fix.Requests[opCreateMPU] != fix.Requests[opComplete] || fix.Requests[opAbort] != 0 {
		t.Errorf("Fix multipart requests: %v", fix.Requests)
	}
	if fix.Requests[opACL] != 0 {
		t.Errorf("Fix read %d object ACLs in a bucket with ACLs disabled", fix.Requests[opACL])
	}
	if len(progress) == 0 || !progress[len(progress)-1].Done {
		t.Errorf("progress: %+v", progress)
	} else {
		t.Logf("last progress line: %s", progress[len(progress)-1])
	}
	start = time.Now()
	verifyFixed(t, e.moto, bucket, specs, required, false)
	noUploadsLeft(t, c, bucket)
	t.Logf("verified in %s", time.Since(start))

	again, err := Scan(ctx, c, res, target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if summaryToFix(again) != 0 || again.Compliant != len(specs) {
		t.Errorf("second Scan: to fix %v, compliant %d of %d", again.ToFix, again.Compliant, len(specs))
	}
}

// countWithCLI counts a bucket's objects with the aws CLI, through the layer: one process.
func countWithCLI(t *testing.T, e *env, bucket string) int {
	t.Helper()
	cmd := exec.Command("aws", "s3api", "list-objects-v2", "--bucket", bucket, "--query", "length(Contents)", "--output", "text")
	cmd.Env = append(os.Environ(), e.layer.EnvWithKey(e.akid, "testing")...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws s3api list-objects-v2: %v\n%s", err, out)
	}
	// The CLI applies the query to each page of 1,000.
	n := 0
	for _, f := range strings.Fields(string(out)) {
		k, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("aws s3api list-objects-v2: %v\n%s", err, out)
		}
		n += k
	}
	return n
}

func TestSkipsWhatACopyWouldHarm(t *testing.T) {
	t.Parallel()
	e := newEnv(t, shared)
	c := e.s3
	ctx := context.Background()
	required := createKey(t, e.kms, "alias/skips-required")
	// ACLs enabled (object writer owns its objects): new buckets have them disabled since 2023,
	// and then no object can carry grants a copy would drop.
	bucket := e.bucket(t, "skips", func(in *s3.CreateBucketInput) {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
		in.ObjectOwnership = "ObjectWriter"
	})
	put := func(key string, mod func(*s3.PutObjectInput)) {
		in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("data of " + key),
			ChecksumAlgorithm: "CRC32"} // S3 (and moto) want a checksum with Object Lock settings
		if mod != nil {
			mod(in)
		}
		if _, err := c.PutObject(ctx, in); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	put("plain", nil)
	put("glacier", func(in *s3.PutObjectInput) { in.StorageClass = "GLACIER" })
	put("deep", func(in *s3.PutObjectInput) { in.StorageClass = "DEEP_ARCHIVE" })
	put("public", func(in *s3.PutObjectInput) { in.ACL = "public-read" })
	put("retained", func(in *s3.PutObjectInput) {
		in.ObjectLockMode = "GOVERNANCE"
		in.ObjectLockRetainUntilDate = aws.Time(time.Now().Add(24 * time.Hour))
	})
	put("held", func(in *s3.PutObjectInput) { in.ObjectLockLegalHoldStatus = "ON" })
	put("compliant", func(in *s3.PutObjectInput) {
		in.ServerSideEncryption = "aws:kms"
		in.SSEKMSKeyId = aws.String(required.ARN)
	})
	before := versions(t, c, bucket)

	target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN}
	var findings []Finding
	sum, err := Fix(ctx, c, e.resolver(), target, Options{OnFinding: func(f Finding) { findings = append(findings, f) }})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{ReasonGlacier: 2, ReasonACLGrants: 1, ReasonObjectLock: 2}
	if d := cmp.Diff(want, sum.Skipped); d != "" {
		t.Errorf("skipped (-want +got):\n%s\nfindings: %+v", d, findings)
	}
	if sum.Fixed != 1 || sum.Compliant != 1 || sum.Scanned != 7 {
		t.Errorf("fixed %d compliant %d scanned %d, want 1, 1, 7", sum.Fixed, sum.Compliant, sum.Scanned)
	}
	if sum.Versioning != "Enabled" || sum.NoncurrentVersions != 1 {
		t.Errorf("versioning %q, noncurrent %d; want Enabled, 1 (the fixed object's old version)", sum.Versioning, sum.NoncurrentVersions)
	}
	after := versions(t, c, bucket)
	before["plain"]++
	if d := cmp.Diff(before, after); d != "" {
		t.Errorf("versions (-want +got):\n%s", d)
	}
	for _, f := range findings {
		// Uploaded without encryption headers to a bucket created since 2023: SSE-S3.
		if f.Action == ActionSkipped && (f.Kind != KindSkipped || f.Observed != "AES256") {
			t.Errorf("skipped finding %+v", f)
		}
	}
}

// summaryToFix is how many objects a summary found not as required.
func summaryToFix(s Summary) int {
	n := 0
	for _, v := range s.ToFix {
		n += v
	}
	return n
}
