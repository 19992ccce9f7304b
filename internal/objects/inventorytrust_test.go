package objects

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/state"
)

// configureInventoryOwned is configureInventory with the destination's account named (AccountId).
func configureInventoryOwned(t *testing.T, c *s3.Client, src, dest, prefix, id, account string) {
	t.Helper()
	_, err := c.PutBucketInventoryConfiguration(context.Background(), &s3.PutBucketInventoryConfigurationInput{
		Bucket: aws.String(src), Id: aws.String(id),
		InventoryConfiguration: &types.InventoryConfiguration{
			Id: aws.String(id), IsEnabled: aws.Bool(true), IncludedObjectVersions: types.InventoryIncludedObjectVersionsCurrent,
			Schedule: &types.InventorySchedule{Frequency: types.InventoryFrequencyDaily},
			Destination: &types.InventoryDestination{S3BucketDestination: &types.InventoryS3BucketDestination{
				AccountId: aws.String(account), Bucket: aws.String("arn:aws:s3:::" + dest), Format: types.InventoryFormatCsv, Prefix: aws.String(prefix)}},
			OptionalFields: []types.InventoryOptionalField{"Size", "ETag", "StorageClass", "EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus", "BucketKeyStatus"},
		},
	})
	if err != nil {
		t.Fatalf("put inventory configuration: %v", err)
	}
}

// TestInventoryIsEvidenceOnlyWhenTrustedAndFresh: an S3 Inventory decides objects only when its
// destination belongs to the bucket's account (or a trusted one, read with that account as its
// expected owner), it began after sseguard's last change to the objects, it is complete
// (manifest.checksum) and the objects were not modified since it began; otherwise the scan reads
// the objects, says why, and the counts stay right.
func TestInventoryIsEvidenceOnlyWhenTrustedAndFresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, shared)
	ctx := context.Background()
	const stranger = "999988887777"
	type result struct {
		s   Summary
		src string
	}
	run := func(t *testing.T, setup func(src, dest string), mod func(*Target), o Options) result {
		t.Helper()
		src := e.legacyBucket(t, "inv-trust", true)
		dest := e.bucket(t, "inv-trust-dest", nil)
		seed(t, e.moto, src, []spec{{Key: "a", Body: []byte("a")}, {Key: "b", Body: []byte("b"), SSE: types.ServerSideEncryptionAes256}})
		time.Sleep(1100 * time.Millisecond)
		setup(src, dest)
		target := Target{Bucket: src, Algorithm: AlgorithmAES256, ExpectedBucketOwner: mototest}
		if mod != nil {
			mod(&target)
		}
		s, err := Scan(ctx, e.s3, e.resolver(), target, o)
		if err != nil {
			t.Fatal(err)
		}
		if s.Stopped == "" && (s.Scanned != 2 || s.ToFix[KindUnencrypted] != 1) {
			t.Errorf("counts: %d scanned, to fix %v; want 2 scanned, 1 unencrypted", s.Scanned, s.ToFix)
		}
		return result{s, src}
	}
	headScan := func(t *testing.T, r result, why string) {
		t.Helper()
		if r.s.Source == nil || r.s.Source.Kind != state.SourceHead || !strings.Contains(r.s.Source.Reason, why) {
			t.Errorf("source %+v, want a HEAD scan because %q", r.s.Source, why)
		}
	}

	t.Run("a destination of another account is refused", func(t *testing.T) {
		r := run(t, func(src, dest string) {
			configureInventoryOwned(t, e.s3, src, dest, "inv", "c1", stranger)
			deliver(t, e.moto, src, dest, "inv", "c1", time.Now(), false)
		}, nil, Options{})
		headScan(t, r, "account "+stranger+", neither the bucket's account")
		if r.s.Requests[opGet] != 0 {
			t.Errorf("%d GetObject: the refused destination was read", r.s.Requests[opGet])
		}
	})
	t.Run("a trusted account's destination is read with that account as its owner", func(t *testing.T) {
		// The destination here is the home account's: read as the trusted account's, S3 refuses.
		r := run(t, func(src, dest string) {
			configureInventoryOwned(t, e.s3, src, dest, "inv", "c1", stranger)
			deliver(t, e.moto, src, dest, "inv", "c1", time.Now(), false)
		}, func(tg *Target) { tg.TrustedOwners = []string{stranger} }, Options{})
		headScan(t, r, "AccessDenied")
	})
	t.Run("older than sseguard's last change", func(t *testing.T) {
		r := run(t, func(src, dest string) {
			configureInventory(t, e.s3, src, dest, "inv", "c1")
			deliver(t, e.moto, src, dest, "inv", "c1", time.Now(), false)
		}, func(tg *Target) { tg.InventoryNotBefore = time.Now().Add(2 * time.Minute) }, Options{})
		headScan(t, r, "before sseguard's last change")
	})
	t.Run("the newest delivery is not complete: the one before is used", func(t *testing.T) {
		var older string
		r := run(t, func(src, dest string) {
			configureInventory(t, e.s3, src, dest, "inv", "c1")
			now := time.Now().UTC()
			deliver(t, e.moto, src, dest, "inv", "c1", now, false)
			older = now.Format("2006-01-02T15-04Z")
			newer := now.Add(2 * time.Minute)
			deliver(t, e.moto, src, dest, "inv", "c1", newer, false)
			// Its manifest.json no longer matches its manifest.checksum: replaced half-way.
			_, err := e.moto.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(dest),
				Key: aws.String("inv/" + src + "/c1/" + newer.Format("2006-01-02T15-04Z") + "/manifest.checksum"), Body: bytes.NewReader([]byte("0123"))})
			if err != nil {
				t.Fatal(err)
			}
		}, nil, Options{})
		if r.s.Source == nil || r.s.Source.Kind != state.SourceInventory || !strings.Contains(r.s.Source.Manifest, older) {
			t.Errorf("source %+v, want the older delivery %s", r.s.Source, older)
		}
		if r.s.Source.FromInventory != 2 {
			t.Errorf("%d objects decided by the inventory, want 2", r.s.Source.FromInventory)
		}
	})
	t.Run("objects modified since the delivery began are read", func(t *testing.T) {
		r := run(t, func(src, dest string) {
			configureInventory(t, e.s3, src, dest, "inv", "c1")
			deliver(t, e.moto, src, dest, "inv", "c1", time.Now().Add(-time.Hour), false)
		}, nil, Options{})
		if r.s.Source == nil || r.s.Source.Kind != state.SourceInventory || r.s.Source.FromInventory != 0 || r.s.Source.WithHead != 2 {
			t.Errorf("source %+v: the objects written after the delivery began were decided by it", r.s.Source)
		}
	})
	t.Run("the time budget covers reading the inventory", func(t *testing.T) {
		r := run(t, func(src, dest string) {
			configureInventory(t, e.s3, src, dest, "inv", "c1")
			deliver(t, e.moto, src, dest, "inv", "c1", time.Now(), false)
		}, nil, Options{MaxDuration: time.Nanosecond})
		if r.s.Stopped != StoppedMaxDuration || r.s.Scanned != 0 || r.s.Requests[opGet] != 0 {
			t.Errorf("stopped %q after %d objects and %d GetObject, want a stop before reading the inventory", r.s.Stopped, r.s.Scanned, r.s.Requests[opGet])
		}
		headScan(t, r, "time budget")
	})
}

func TestCountInventory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, shared)
	ctx := context.Background()
	src := e.legacyBucket(t, "inv-count", true)
	dest := e.bucket(t, "inv-count-dest", nil)
	put := func(key string, sse types.ServerSideEncryption, class types.StorageClass) {
		if _, err := e.moto.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(src), Key: aws.String(key), Body: bytes.NewReader([]byte(key)),
			ServerSideEncryption: sse, StorageClass: class}); err != nil {
			t.Fatal(err)
		}
	}
	put("media/a", "", types.StorageClassStandardIa)
	put("media/b", "", types.StorageClassStandardIa)
	put("media/c", types.ServerSideEncryptionAes256, "")
	put("other/d", "", "")
	configureInventory(t, e.s3, src, dest, "inv", "c1")
	time.Sleep(1100 * time.Millisecond)
	deliver(t, e.moto, src, dest, "inv", "c1", time.Now(), false)
	before := len(shared.Actions())
	ic, err := CountInventory(ctx, e.s3, Target{Bucket: src, Algorithm: AlgorithmKMS, Prefixes: []string{"media/"}, ExpectedBucketOwner: mototest}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []InventoryGroup{{EncryptionStatus: "NOT-SSE", StorageClass: "STANDARD_IA", Objects: 2}, {EncryptionStatus: "SSE-S3", StorageClass: "STANDARD", Objects: 1}}
	if diff := cmp.Diff(want, ic.Groups); diff != "" || ic.Objects != 3 || ic.Source.Kind != state.SourceInventory {
		t.Errorf("groups (-want +got):\n%s\nobjects %d, source %+v", diff, ic.Objects, ic.Source)
	}
	for _, a := range shared.Actions()[before:] {
		if a.AccessKeyID == e.akid && (a.Operation == "ListObjectsV2" && strings.Contains(a.Resource, src) || a.Operation == "HeadObject") {
			t.Errorf("CountInventory listed or read the bucket itself: %s %s", a.Operation, a.Resource)
		}
	}
	if _, err := CountInventory(ctx, e.s3, Target{Bucket: src, Algorithm: AlgorithmKMS, ExpectedBucketOwner: mototest, InventoryNotBefore: time.Now().Add(time.Hour)}, Options{}); err == nil {
		t.Error("an inventory older than the last change was counted")
	}
}
