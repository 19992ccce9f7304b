package objects

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// small returns n small objects cycling through kinds: unencrypted, SSE-S3, the required key
// without a bucket key, another key (when other is set), and compliant (required key + bucket key).
func small(prefix string, n int, required key, other *key) []spec {
	out := make([]spec, n)
	for i := range out {
		body := make([]byte, 100+i%300)
		rand.Read(body)
		s := spec{
			Key: fmt.Sprintf("%s/%04d.txt", prefix, i), Body: body, ContentType: contentTypes[i%len(contentTypes)],
			Metadata: map[string]string{"i": fmt.Sprint(i)}, Tags: map[string]string{"k": fmt.Sprint(i % 3)},
		}
		switch i % 5 {
		case 0:
			s.Kind = KindUnencrypted
		case 1:
			s.SSE, s.Kind = types.ServerSideEncryptionAes256, KindSSES3
		case 2:
			s.SSE, s.KMSKey, s.Kind = types.ServerSideEncryptionAwsKms, required.ID, KindBucketKeyOff
		case 3:
			if other != nil {
				s.SSE, s.KMSKey, s.Kind = types.ServerSideEncryptionAwsKms, other.Alias, KindOtherKMSKey
			} else {
				s.Kind = KindUnencrypted
			}
		case 4:
			s.SSE, s.KMSKey, s.BucketKey = types.ServerSideEncryptionAwsKms, required.ARN, true
		}
		out[i] = s
	}
	return out
}

// TestBudgetStopsAndARerunFinishes: a budget stops a run cleanly, a run killed while copies are in
// flight loses nothing, and a re-run finishes the job without doing anything twice. 60 objects
// (budget 15, killed at 12 fixed), or 150 (40, 30) with SSEGUARD_LONG=1.
func TestBudgetStopsAndARerunFinishes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, shared)
	c := e.s3
	ctx := context.Background()
	required, other := createKey(t, e.kms, "alias/resume-required"), createKey(t, e.kms, "alias/resume-other")
	bucket := e.legacyBucket(t, "resume", false)
	versioned(t, c, bucket)
	specs := small("r", scaled(60, 150), required, &other)
	seed(t, e.moto, bucket, specs)
	res := e.resolver()
	budget, killAt := scaled(15, 40), int64(scaled(12, 30))
	target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN, BucketKey: true}
	toFix := 0
	for _, s := range specs {
		if s.Kind != "" {
			toFix++
		}
	}

	// Report mode: counts as boto3 sees them, independently of this package.
	scan, err := Scan(ctx, c, res, target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ind := scanWithBoto3(t, e, bucket, required.ARN, true)
	t.Logf("scan %s, boto3 scan %s", scan.Duration, time.Since(start))
	want := map[string]int{}
	for k, v := range ind.Kinds {
		if k != "compliant" {
			want[k] = v
		}
	}
	if d := cmp.Diff(want, scan.ToFix); d != "" || scan.Scanned != ind.Listed || scan.Compliant != ind.Kinds["compliant"] {
		t.Errorf("Scan: scanned %d compliant %d to fix %v; boto3: %+v; diff (-boto3 +scan):\n%s", scan.Scanned, scan.Compliant, scan.ToFix, ind, d)
	}
	if scan.NoncurrentVersions != 0 || scan.Versioning != "Enabled" {
		t.Errorf("Scan: versioning %q noncurrent %d", scan.Versioning, scan.NoncurrentVersions)
	}

	// 1: a budget stops the run cleanly and says what remains.
	first, err := Fix(ctx, c, res, target, Options{MaxObjects: budget, Concurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	if first.Stopped != StoppedMaxObjects || first.Fixed != budget || first.Remaining == 0 || first.Scanned+first.Remaining != len(specs) {
		t.Errorf("budgeted run: stopped %q fixed %d scanned %d remaining %d (of %d)", first.Stopped, first.Fixed, first.Scanned, first.Remaining, len(specs))
	}

	// 2: killed halfway (the context is cancelled while copies are in flight).
	kctx, kill := context.WithCancel(ctx)
	var fixedSeen atomic.Int64
	second, err := Fix(kctx, c, res, target, Options{Concurrency: 16, OnFinding: func(f Finding) {
		if f.Action == ActionFixed && fixedSeen.Add(1) == killAt {
			kill()
		}
	}})
	if !errors.Is(err, context.Canceled) || second.Stopped != StoppedError || int64(second.Fixed) < killAt {
		t.Errorf("killed run: err %v, stopped %q, fixed %d", err, second.Stopped, second.Fixed)
	}
	kill()
	// Let moto finish any copy whose client went away (a killed process leaves them too).
	time.Sleep(300 * time.Millisecond)

	// 3: a re-run finishes the job.
	third, err := Fix(ctx, c, res, target, Options{Concurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	if third.Stopped != "" || third.Failed != 0 || first.Fixed+second.Fixed+third.Fixed > toFix || third.Fixed == 0 {
		t.Errorf("re-run: stopped %q failed %d fixed %d (+%d +%d of %d)", third.Stopped, third.Failed, third.Fixed, first.Fixed, second.Fixed, toFix)
	}
	if third.NoncurrentVersions != toFix {
		t.Errorf("re-run reports %d noncurrent versions, want %d (one per fixed object)", third.NoncurrentVersions, toFix)
	}
	t.Logf("runs: %s %s %s", first.Duration, second.Duration, third.Duration)
	verifyFixed(t, e.moto, bucket, specs, required, true)
	// Nothing lost, nothing done twice: one version more for each object fixed, none for the rest.
	wantVersions := map[string]int{}
	for _, s := range specs {
		wantVersions[s.Key] = 1
		if s.Kind != "" {
			wantVersions[s.Key] = 2
		}
	}
	if d := cmp.Diff(wantVersions, versions(t, c, bucket)); d != "" {
		t.Errorf("versions per key (-want +got):\n%s", d)
	}
	final, err := Scan(ctx, c, res, target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if summaryToFix(final) != 0 || final.Compliant != len(specs) {
		t.Errorf("final scan: to fix %v, compliant %d", final.ToFix, final.Compliant)
	}
}

// TestConcurrentOverwriteKeepsNewerBytes: an object another writer replaces between sseguard's
// HEAD and its copy (single-part and multipart) keeps the newer bytes: the conditional copy is
// refused (412), the object read again and the newer bytes encrypted.
func TestConcurrentOverwriteKeepsNewerBytes(t *testing.T) {
	t.Parallel()
	l := ownLayer(t, awstest.Options{}) // for its Before hook and counts
	e := newEnv(t, l)
	direct := e.moto
	ctx := context.Background()
	required := createKey(t, e.kms, "alias/race-required")
	bucket := e.legacyBucket(t, "race", true)
	specs := small("race", 10, required, nil)
	bigOld := make([]byte, 5<<20+64<<10)
	rand.Read(bigOld)
	specs = append(specs,
		spec{Key: "race/small", Body: []byte("old bytes"), ContentType: "text/plain"},
		spec{Key: "race/big", Body: bigOld, ContentType: "video/mp4"})
	seed(t, direct, bucket, specs)

	newer := map[string][]byte{"race/small": []byte("newer bytes, written between HEAD and copy")}
	newer["race/big"] = make([]byte, 5<<20+32<<10)
	rand.Read(newer["race/big"])
	var once sync.Map
	l.SetBefore(func(op string, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/"+bucket+"/")
		if (op == "CopyObject" && key == "race/small") || (op == "UploadPartCopy" && key == "race/big") {
			if _, done := once.LoadOrStore(key, true); done {
				return
			}
			// Another writer uploads, unencrypted, after sseguard read the object. (Not with the
			// request's context: sseguard may cancel this part when the other one is refused.)
			if _, err := direct.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				Body: bytes.NewReader(newer[key]), ContentType: aws.String("application/x-newer")}); err != nil {
				t.Errorf("overwrite %s: %v", key, err)
			}
		}
	})
	target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN, BucketKey: true}
	sum, err := Fix(ctx, e.s3, e.resolver(), target, Options{MultipartThreshold: 5 << 20, PartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 0 {
		t.Errorf("failed %d: %+v", sum.Failed, sum.Sample)
	}
	counts := l.Counts()
	if _, ok := once.Load("race/big"); !ok || sum.Requests[opHead] != len(specs)+2 {
		t.Errorf("the race did not happen as planned: %d HeadObject for %d objects", sum.Requests[opHead], len(specs))
	}
	if counts["CopyObject"] != sum.Requests[opCopy] || sum.Requests[opCreateMPU] != 2 || sum.Requests[opAbort] != 1 {
		t.Errorf("requests: ours %v, the layer's %v; want two multipart starts and one abort", sum.Requests, counts)
	}
	for key, want := range newer {
		checkNewer(t, direct, bucket, key, want, required.ARN)
	}
	noUploadsLeft(t, direct, bucket)
	verifyFixed(t, direct, bucket, specs[:10], required, true)
}

// TestUpdateObjectEncryptionWhereImplemented: where the endpoint implements UpdateObjectEncryption
// (the layer, as AWS documents it), "always" uses it for every object it supports (ETag kept) and
// copies the rest; "auto" never sends it to an endpoint that is not AWS's own.
func TestUpdateObjectEncryptionWhereImplemented(t *testing.T) {
	t.Parallel()
	l := ownLayer(t, awstest.Options{UpdateObjectEncryption: awstest.UOEImplement}) // for its counts
	e := newEnv(t, l)
	ctx := context.Background()
	required, other := createKey(t, e.kms, "alias/uoe-required"), createKey(t, e.kms, "alias/uoe-other")
	bucket := e.legacyBucket(t, "uoe", true)
	specs := small("u", 30, required, &other)
	seed(t, e.moto, bucket, specs)
	before := snapshot(t, e.s3, bucket)
	target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN, BucketKey: true}

	// auto: a loopback endpoint is not AWS's own, so the default never sends it.
	auto, err := Scan(ctx, e.s3, e.resolver(), target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if auto.UpdateObjectEncryption != "unused" || l.Counts()["UpdateObjectEncryption"] != 0 {
		t.Errorf("auto: %s, the layer saw %v", auto.UpdateObjectEncryption, l.Counts())
	}

	sum, err := Fix(ctx, e.s3, e.resolver(), target, Options{UpdateObjectEncryption: UpdateEncryptionAlways, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	kinds := expectedKinds(specs)
	updatable := kinds[KindSSES3] + kinds[KindOtherKMSKey] + kinds[KindBucketKeyOff]
	counts := l.Counts()
	t.Logf("sample: %+v", sum.Sample[:3])
	if sum.UpdateObjectEncryption != "used" || sum.Requests[opUpdateEncryption] != updatable || counts["UpdateObjectEncryption"] != updatable ||
		sum.Requests[opCopy] != kinds[KindUnencrypted] || sum.Fixed != updatable+kinds[KindUnencrypted] {
		t.Errorf("UpdateObjectEncryption %s; ours %v; the layer's %v; want %d updates, %d copies (unencrypted)", sum.UpdateObjectEncryption, sum.Requests, counts, updatable, kinds[KindUnencrypted])
	}
	// Verified: the first call alone, then a few more.
	if sum.Requests[opHead] != len(specs)+verifyCalls {
		t.Errorf("HeadObject %d, want %d (one per object + %d verifications)", sum.Requests[opHead], len(specs)+verifyCalls, verifyCalls)
	}
	verifyFixed(t, e.moto, bucket, specs, required, true)
	after := snapshot(t, e.s3, bucket)
	for _, s := range specs {
		b, a := strings.Fields(before[s.Key])[0], strings.Fields(after[s.Key])[0]
		if b != a {
			t.Errorf("%s: ETag %s → %s", s.Key, b, a)
		}
	}
}

// TestUpdateObjectEncryptionNotImplementedFallsBackToCopy: an endpoint that answers 501 gets one
// UpdateObjectEncryption; every object is copied instead.
func TestUpdateObjectEncryptionNotImplementedFallsBackToCopy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ownLayer(t, awstest.Options{UpdateObjectEncryption: awstest.UOENotImplemented}))
	ctx := context.Background()
	required := createKey(t, e.kms, "alias/uoe501-required")
	bucket := e.legacyBucket(t, "uoe-501", true)
	specs := small("n", 20, required, nil)
	seed(t, e.moto, bucket, specs)
	target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN, BucketKey: true}
	sum, err := Fix(ctx, e.s3, e.resolver(), target, Options{UpdateObjectEncryption: UpdateEncryptionAlways, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	if sum.UpdateObjectEncryption != "not-implemented" || sum.Requests[opUpdateEncryption] != 1 || sum.Failed != 0 || sum.Fixed != sum.Requests[opCopy] {
		t.Errorf("UpdateObjectEncryption %s, requests %v, fixed %d failed %d: want one 501, then copies", sum.UpdateObjectEncryption, sum.Requests, sum.Fixed, sum.Failed)
	}
	verifyFixed(t, e.moto, bucket, specs, required, true)
}

// TestForcedUpdateObjectEncryptionAgainstMotoStopsAtFirstDamage: moto takes UpdateObjectEncryption
// for a PutObject and overwrites the object with the request's XML (the layer passes it through
// here); forced, the first such update is verified alone, found damaged, and the run stops there.
func TestForcedUpdateObjectEncryptionAgainstMotoStopsAtFirstDamage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ownLayer(t, awstest.Options{UpdateObjectEncryption: awstest.UOEPassThrough}))
	c := e.s3
	ctx := context.Background()
	required := createKey(t, e.kms, "alias/damage-required")
	bucket := e.bucket(t, "damage", func(in *s3.CreateBucketInput) { in.ObjectOwnership = types.ObjectOwnershipBucketOwnerEnforced })
	var specs []spec
	for i := 0; i < 50; i++ {
		specs = append(specs, spec{Key: fmt.Sprintf("d/%03d", i), Body: []byte(fmt.Sprintf("object %d", i)), ContentType: "text/plain", SSE: types.ServerSideEncryptionAes256})
	}
	seed(t, c, bucket, specs)
	target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN}
	sum, err := Fix(ctx, c, e.resolver(), target, Options{UpdateObjectEncryption: UpdateEncryptionAlways, Concurrency: 32})
	if err == nil {
		t.Fatal("Fix with UpdateObjectEncryption forced against moto succeeded; it must stop at the first damaged object")
	}
	t.Logf("error: %v", err)
	var damaged []string
	for _, s := range specs {
		out, gerr := e.moto.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(s.Key)})
		if gerr != nil {
			t.Fatal(gerr)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if !bytes.Equal(got, s.Body) {
			damaged = append(damaged, s.Key)
		}
	}
	if len(damaged) != 1 {
		t.Fatalf("%d objects damaged (%v), want exactly the first", len(damaged), damaged)
	}
	if !errors.Is(err, errDamaged) || !strings.Contains(err.Error(), "s3://"+bucket+"/"+damaged[0]+" ") {
		t.Errorf("error does not name the damaged object %s: %v", damaged[0], err)
	}
	if sum.Stopped != StoppedError || sum.UpdateObjectEncryption != "damaged" || sum.Requests[opUpdateEncryption] != 1 || sum.Requests[opCopy] != 0 || sum.Fixed != 0 {
		t.Errorf("summary: stopped %q, UpdateObjectEncryption %s, requests %v, fixed %d", sum.Stopped, sum.UpdateObjectEncryption, sum.Requests, sum.Fixed)
	}
}
