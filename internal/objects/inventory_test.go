package objects

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/state"
)

// invSchema is the column order of the test deliveries: the configuration's fields in the
// order the User Guide's example manifest lists them.
const invSchema = "Bucket, Key, Size, ETag, StorageClass, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus, BucketKeyStatus"

// mototest is moto's account: the buckets' owner.
const mototest = "123456789012"

// headOnly hides InventoryAPI: a Scan through it reads every object with HEAD.
type headOnly struct{ S3API }

// configureInventory writes the bucket's inventory configuration (moto stores and returns it).
func configureInventory(t *testing.T, c *s3.Client, src, dest, prefix, id string) {
	t.Helper()
	_, err := c.PutBucketInventoryConfiguration(context.Background(), &s3.PutBucketInventoryConfigurationInput{
		Bucket: aws.String(src), Id: aws.String(id),
		InventoryConfiguration: &types.InventoryConfiguration{
			Id: aws.String(id), IsEnabled: aws.Bool(true), IncludedObjectVersions: types.InventoryIncludedObjectVersionsCurrent,
			Schedule: &types.InventorySchedule{Frequency: types.InventoryFrequencyDaily},
			Destination: &types.InventoryDestination{S3BucketDestination: &types.InventoryS3BucketDestination{
				Bucket: aws.String("arn:aws:s3:::" + dest), Format: types.InventoryFormatCsv, Prefix: aws.String(prefix)}},
			OptionalFields: []types.InventoryOptionalField{"Size", "ETag", "StorageClass", "EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus", "BucketKeyStatus"},
		},
	})
	if err != nil {
		t.Fatalf("put inventory configuration: %v", err)
	}
}

// deliver writes an inventory delivery as S3 would (Amazon S3 User Guide, "Locating your
// inventory list"): the bucket's objects as read now with HEAD (straight from moto), in one
// gzipped CSV data file under data/, and the manifest under the delivery's timestamp folder.
// corrupt writes a data file whose MD5 differs from the manifest's.
func deliver(t *testing.T, c *s3.Client, src, dest, prefix, id string, created time.Time, corrupt bool) string {
	t.Helper()
	ctx := context.Background()
	var csv bytes.Buffer
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(src)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(src), Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			enc := map[types.ServerSideEncryption]string{"": "NOT-SSE", "AES256": "SSE-S3", "aws:kms": "SSE-KMS"}[h.ServerSideEncryption]
			bk := map[bool]string{true: "ENABLED", false: "DISABLED"}[aws.ToBool(h.BucketKeyEnabled)]
			class := string(o.StorageClass)
			if class == "" {
				class = "STANDARD"
			}
			fmt.Fprintf(&csv, "%q,%q,%q,%q,%q,%q,\"\",\"\",\"Off\",%q\n", src, url.QueryEscape(aws.ToString(o.Key)), fmt.Sprint(aws.ToInt64(o.Size)),
				strings.Trim(aws.ToString(o.ETag), `"`), class, enc, bk)
		}
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(csv.Bytes())
	w.Close()
	sum := md5.Sum(gz.Bytes())
	base := strings.TrimSuffix(prefix, "/") + "/" + src + "/" + id + "/"
	dataKey := base + "data/" + fmt.Sprintf("%d.csv.gz", created.UnixNano())
	body := gz.Bytes()
	if corrupt {
		body = append([]byte(nil), body...)
		body[len(body)/2] ^= 0xff
	}
	put := func(key string, b []byte) {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(dest), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
			t.Fatal(err)
		}
	}
	put(dataKey, body)
	manifest, _ := json.Marshal(map[string]any{
		"sourceBucket": src, "destinationBucket": "arn:aws:s3:::" + dest, "version": "2016-11-30",
		"creationTimestamp": fmt.Sprint(created.UnixMilli()), "fileFormat": "CSV", "fileSchema": invSchema,
		"files": []map[string]any{{"key": dataKey, "size": len(gz.Bytes()), "MD5checksum": hex.EncodeToString(sum[:])}},
	})
	folder := base + created.UTC().Format("2006-01-02T15-04Z") + "/"
	put(folder+"manifest.json", manifest)
	// "manifest.checksum is the MD5 hash of the content of the manifest.json file" (Locating your
	// inventory list).
	msum := md5.Sum(manifest)
	put(folder+"manifest.checksum", []byte(hex.EncodeToString(msum[:])))
	return dataKey
}

func TestScanFromInventory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, shared)
	ctx := context.Background()
	required, other := createKey(t, e.kms, "alias/inv-req"), createKey(t, e.kms, "alias/inv-other")
	src := e.legacyBucket(t, "inv-src", true)
	dest := e.bucket(t, "inv-dest", nil)
	specs := mixed(60, 0, required, other, true)
	seed(t, e.moto, src, specs)
	configureInventory(t, e.s3, src, dest, "reports", "daily")
	// The delivery begins after the objects were written (an object modified since a delivery
	// began is read with HEAD): a second later, as S3's timestamps count seconds.
	time.Sleep(1100 * time.Millisecond)
	deliver(t, e.moto, src, dest, "reports", "daily", time.Now(), false)
	// Written after the inventory: read with HEAD.
	seed(t, e.moto, src, []spec{{Key: "late/new.bin", Body: []byte("new"), ContentType: "text/plain"}})

	targets := map[string]Target{
		"sse-s3": {Bucket: src, Algorithm: AlgorithmAES256, ExpectedBucketOwner: mototest},
		"kms":    {Bucket: src, Algorithm: AlgorithmKMS, KeyARN: required.ARN, BucketKey: true, ExpectedBucketOwner: mototest},
	}
	for name, target := range targets {
		t.Run(name, func(t *testing.T) {
			head, err := Scan(ctx, headOnly{e.s3}, e.resolver(), target, Options{})
			if err != nil {
				t.Fatal(err)
			}
			inv, err := Scan(ctx, e.s3, e.resolver(), target, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if inv.Source == nil || inv.Source.Kind != state.SourceInventory {
				t.Fatalf("inventory not used: %+v", inv.Source)
			}
			if head.Source == nil || head.Source.Kind != state.SourceHead {
				t.Errorf("head scan source %+v", head.Source)
			}
			if inv.Scanned != head.Scanned || inv.Compliant != head.Compliant || fmt.Sprint(inv.ToFix) != fmt.Sprint(head.ToFix) || fmt.Sprint(inv.Skipped) != fmt.Sprint(head.Skipped) {
				t.Errorf("inventory counts scanned %d compliant %d to fix %v skipped %v; HEAD scan %d %d %v %v",
					inv.Scanned, inv.Compliant, inv.ToFix, inv.Skipped, head.Scanned, head.Compliant, head.ToFix, head.Skipped)
			}
			if inv.Source.FromInventory+inv.Source.WithHead != head.Scanned || inv.Requests[opHead] != inv.Source.WithHead || inv.Requests[opHead] >= head.Requests[opHead] {
				t.Errorf("HEADs: inventory scan %d (source %+v), HEAD scan %d", inv.Requests[opHead], inv.Source, head.Requests[opHead])
			}
			if inv.Source.AgeSeconds < 0 || inv.Source.AgeSeconds > 300 {
				t.Errorf("age %ds, want a few seconds", inv.Source.AgeSeconds)
			}
			t.Logf("%s: HEAD %d vs %d; %s", name, inv.Requests[opHead], head.Requests[opHead], sourceLine(inv.Source))
		})
	}
	// With SSE-S3 required, only the object written since (and none of the SSE-KMS ones) is read.
	s, err := Scan(ctx, e.s3, e.resolver(), targets["sse-s3"], Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests[opHead] != 1 {
		t.Errorf("SSE-S3 target: %d HEADs, want 1 (the object written after the inventory)", s.Requests[opHead])
	}
}

func TestScanInventoryFallback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, shared)
	ctx := context.Background()
	cases := map[string]struct {
		setup func(src, dest string)
		want  string
	}{
		"no configuration": {func(src, dest string) {}, "no inventory configuration"},
		"corrupt data file": {func(src, dest string) {
			configureInventory(t, e.s3, src, dest, "inv", "c1")
			deliver(t, e.moto, src, dest, "inv", "c1", time.Now().Add(-time.Hour), true)
		}, "MD5"},
		"stale": {func(src, dest string) {
			configureInventory(t, e.s3, src, dest, "inv", "c1")
			deliver(t, e.moto, src, dest, "inv", "c1", time.Now().Add(-30*24*time.Hour), false)
		}, "older than"},
		"not delivered yet": {func(src, dest string) {
			configureInventory(t, e.s3, src, dest, "inv", "c1")
		}, "no delivery"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			src := e.legacyBucket(t, "inv-fb", true)
			dest := e.bucket(t, "inv-fb-dest", nil)
			seed(t, e.moto, src, []spec{{Key: "a", Body: []byte("a")}, {Key: "b", Body: []byte("b"), SSE: types.ServerSideEncryptionAes256}})
			tc.setup(src, dest)
			s, err := Scan(ctx, e.s3, e.resolver(), Target{Bucket: src, Algorithm: AlgorithmAES256, ExpectedBucketOwner: mototest}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Source == nil || s.Source.Kind != state.SourceHead || !strings.Contains(s.Source.Reason, tc.want) {
				t.Errorf("source %+v, want a HEAD scan because %q", s.Source, tc.want)
			}
			if s.Scanned != 2 || s.Requests[opHead] != 2 || s.ToFix[KindUnencrypted] != 1 {
				t.Errorf("scanned %d with %d HEADs, to fix %v", s.Scanned, s.Requests[opHead], s.ToFix)
			}
		})
	}
}
