package e2etest

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// End-to-end test of S3 Inventory as the scan's input (issue 11 §2): the built binary, through the
// strict layer, under the IAM policy `sseguard iam-policy` generates plus the read of the
// inventory's destination that the README tells users to grant.

// deliverPy defines deliver(), which writes an inventory delivery as S3 writes it ("Locating your
// inventory list", https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html):
// a gzipped CSV data file of the source bucket's objects as read now, manifest.json with each
// file's size and MD5, and manifest.checksum ("the MD5 hash of the content of the manifest.json
// file"), under prefix/source-bucket/config-id/YYYY-MM-DDTHH-MMZ/. lie, when set, is written as
// every object's EncryptionStatus (a forged delivery); client writes it (another account's, for a
// destination of theirs).
const deliverPy = `
import gzip, io, csv, time, urllib.parse
from datetime import datetime, timedelta, timezone
def deliver(src, dest, prefix, cid, created, lie=None, client=None):
    client = client or s3
    rows = io.StringIO()
    w = csv.writer(rows, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for o in s3.list_objects_v2(Bucket=src).get("Contents", []):
        h = s3.head_object(Bucket=src, Key=o["Key"])
        enc = lie or {"AES256": "SSE-S3", "aws:kms": "SSE-KMS"}.get(h.get("ServerSideEncryption"), "NOT-SSE")
        bk = "ENABLED" if h.get("BucketKeyEnabled") else "DISABLED"
        w.writerow([src, urllib.parse.quote_plus(o["Key"]), str(o["Size"]), o["ETag"].strip('"'), o.get("StorageClass", "STANDARD"), enc, "", "", "Off", bk])
    data = gzip.compress(rows.getvalue().encode())
    base = "%s/%s/%s/" % (prefix, src, cid)
    data_key = base + "data/%d.csv.gz" % int(created.timestamp())
    client.put_object(Bucket=dest, Key=data_key, Body=data)
    manifest = json.dumps({"sourceBucket": src, "destinationBucket": "arn:aws:s3:::" + dest, "version": "2016-11-30",
        "creationTimestamp": str(int(created.timestamp() * 1000)), "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size, ETag, StorageClass, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus, BucketKeyStatus",
        "files": [{"key": data_key, "size": len(data), "MD5checksum": hashlib.md5(data).hexdigest()}]}).encode()
    folder = base + created.strftime("%Y-%m-%dT%H-%MZ") + "/"
    client.put_object(Bucket=dest, Key=folder + "manifest.json", Body=manifest)
    client.put_object(Bucket=dest, Key=folder + "manifest.checksum", Body=hashlib.md5(manifest).hexdigest().encode())

def configure(src, dest, prefix, cid, account=None):
    d = {"Bucket": "arn:aws:s3:::" + dest, "Format": "CSV", "Prefix": prefix}
    if account:
        d["AccountId"] = account
    s3.put_bucket_inventory_configuration(Bucket=src, Id=cid, InventoryConfiguration={
        "Id": cid, "IsEnabled": True, "IncludedObjectVersions": "Current", "Schedule": {"Frequency": "Daily"},
        "Destination": {"S3BucketDestination": d},
        "OptionalFields": ["Size", "ETag", "StorageClass", "EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus", "BucketKeyStatus"]})
`

// invSeed writes 12 SSE-S3 and 8 SSE-KMS objects, an inventory configuration naming
// EncryptionStatus, and a delivery that began after them (S3 timestamps count seconds: a second
// later), then one more object, written after it.
const invSeed = deliverPy + `
SRC, DEST = BUCKET, os.environ["DEST"]
s3.create_bucket(Bucket=SRC)
s3.create_bucket(Bucket=DEST)
key = kms.create_key(Description="inventory e2e")["KeyMetadata"]["Arn"]
for i in range(12):
    s3.put_object(Bucket=SRC, Key="media/plain-%02d.ts" % i, Body=os.urandom(64), ServerSideEncryption="AES256")
for i in range(8):
    s3.put_object(Bucket=SRC, Key="media/kms %02d+.ts" % i, Body=os.urandom(64), ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
configure(SRC, DEST, "inventory", "daily")
time.sleep(1.1)
deliver(SRC, DEST, "inventory", "daily", datetime.now(timezone.utc))
s3.put_object(Bucket=SRC, Key="media/late.ts", Body=b"late", ServerSideEncryption="AES256")
print(json.dumps({"objects": 21}))
`

func TestE2EInventoryCountsAsAHeadScan(t *testing.T) {
	e := newE2E(t)
	src, dest := e.name("inv-src"), e.name("inv-dest")
	var seeded struct{ Objects int }
	c := e.withBucket(src)
	c.env = append(c.env, "DEST="+dest)
	c.py(invSeed, &seeded)

	pol := e.policy(`version: 1
buckets:
  - name: ` + src + `
    encryption: sse-s3
    bucket_key: false
    existing_objects: report
`)
	// The plan role sseguard generates, plus the destination's read (README, "Large buckets").
	gen, err := exec.Command(genBinary, "iam-policy", "--role", "plan", "--policy", pol, "--account", motoserver.Account).Output()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(gen, &doc); err != nil {
		t.Fatal(err)
	}
	doc["Statement"] = append(doc["Statement"].([]any),
		map[string]any{"Sid": "InventoryList", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::" + dest},
		map[string]any{"Sid": "InventoryRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + dest + "/inventory/" + src + "/*"})
	withDest, _ := json.Marshal(doc)
	e.ownIAM = true

	heads := func() int {
		n := 0
		for _, a := range layer.Actions() {
			if a.AccessKeyID == e.key && a.Operation == "HeadObject" {
				n++
			}
		}
		return n
	}
	type counts struct {
		Scanned, Compliant int
		ToFix              map[string]int `json:"to_fix"`
		Source             struct {
			Kind       string
			From       int `json:"from_inventory"`
			With       int `json:"with_head"`
			Reason     string
			AgeSeconds int64 `json:"age_seconds"`
		}
	}
	run := func(identity string) (counts, int) {
		t.Helper()
		if err := layer.SetIdentityPolicy(e.key, identity); err != nil {
			t.Fatal(err)
		}
		before, refusedBefore := heads(), len(e.refused())
		out := filepath.Join(e.dir, "plan.json")
		if code, text := e.sseguard(nil, "plan", "--policy", pol, "--json", out); code != 0 {
			t.Fatalf("plan = %d\n%s", code, text)
		}
		if r := e.refused(); len(r) > refusedBefore && identity == string(withDest) {
			t.Errorf("refused under the generated policy plus the destination's read: %v", r[refusedBefore:])
		}
		var got struct {
			Plan struct {
				Buckets []struct {
					Objects counts
				}
			}
		}
		raw := readJSON(t, out)
		b, _ := json.Marshal(raw)
		if err := json.Unmarshal(b, &got); err != nil || len(got.Plan.Buckets) != 1 {
			t.Fatalf("plan JSON: %v\n%s", err, b)
		}
		return got.Plan.Buckets[0].Objects, heads() - before
	}

	inv, invHeads := run(string(withDest))
	if inv.Source.Kind != "inventory" {
		t.Fatalf("the inventory was not used: %+v", inv.Source)
	}
	if inv.Source.AgeSeconds < 0 || inv.Source.AgeSeconds > 600 {
		t.Errorf("inventory age %ds, want a few seconds", inv.Source.AgeSeconds)
	}
	// Without the destination's read (the generated policy alone) the plan reads every object,
	// and says why.
	head, headHeads := run(string(gen))
	if head.Source.Kind != "head" || head.Source.Reason == "" {
		t.Errorf("without the destination's read: source %+v, want a HEAD scan with the reason", head.Source)
	}
	if inv.Scanned != seeded.Objects || inv.Scanned != head.Scanned || inv.Compliant != head.Compliant || fmt.Sprint(inv.ToFix) != fmt.Sprint(head.ToFix) {
		t.Errorf("inventory counts %d scanned, %d compliant, to fix %v; HEAD scan %d, %d, %v (%d objects seeded)",
			inv.Scanned, inv.Compliant, inv.ToFix, head.Scanned, head.Compliant, head.ToFix, seeded.Objects)
	}
	if inv.ToFix["sse-kms"] != 8 || inv.Compliant != 13 {
		t.Errorf("to fix %v, compliant %d; want 8 SSE-KMS objects to fix and 13 compliant", inv.ToFix, inv.Compliant)
	}
	t.Logf("with the inventory: %+v, %d HEAD; without: %+v, %d HEAD", inv, invHeads, head, headHeads)
	// Only the object written after the delivery is read with HEAD.
	if invHeads != 1 || inv.Source.With != 1 || inv.Source.From != 20 || headHeads != seeded.Objects {
		t.Errorf("HEAD requests: %d with the inventory (source: %d decided by it, %d with HEAD), %d without; want 1 (20, 1) and %d",
			invHeads, inv.Source.From, inv.Source.With, headHeads, seeded.Objects)
	}
}
