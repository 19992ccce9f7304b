package objects

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"

	"github.com/sseguard/sseguard/internal/testsupport"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// One moto_server and one strict AWS layer (internal/testsupport/awstest: among its rules the bucket owner
// condition, redirects dropped by copies, encoded version listings) serve the whole package. Every
// test uses buckets, keys and an access key of its own (unique), so tests run in parallel; a test
// that needs a layer with other settings or hooks starts its own in front of the same moto
// (ownLayer).
var shared *awstest.Layer

func TestMain(m *testing.M) {
	// The small scenarios mostly wait on moto; the long tier's 2,000-object ones keep it busy
	// by themselves.
	if os.Getenv(longTier) != "1" {
		testsupport.RaiseParallel(testsupport.WaitingParallel())
	}
	l, stop := awstest.StartMain()
	shared = l
	code := m.Run()
	stop()
	os.Exit(code)
}

// longTier is the switch for the full-size scenarios (2,000 objects, larger budgets and kills):
// `SSEGUARD_LONG=1 go test ./internal/objects/`. By default they run small, covering the same
// behaviour.
const longTier = "SSEGUARD_LONG"

// scaled returns full when SSEGUARD_LONG=1, small otherwise.
func scaled(small, full int) int {
	if os.Getenv(longTier) == "1" {
		return full
	}
	return small
}

var seq atomic.Int64

// unique returns base with a suffix no other name in this test run has: a valid bucket name for a
// lowercase base, and an alias name for "alias/...".
func unique(base string) string {
	return fmt.Sprintf("%s-%d", base, seq.Add(1))
}

// ownLayer starts a layer with its own settings and hooks in front of the shared moto, with the
// same rules.
func ownLayer(t *testing.T, opts awstest.Options) *awstest.Layer {
	t.Helper()
	opts.Upstream = shared.Upstream()
	l, err := awstest.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start a strict layer: %v", err)
	}
	t.Cleanup(l.Close)
	return l
}

// env is one test's access to AWS: clients through a layer, signed with an access key of the
// test's own (so the layer's records tell its requests apart), and a client straight to moto.
type env struct {
	layer *awstest.Layer
	akid  string
	s3    *s3.Client  // through the layer: what sseguard talks to
	kms   *kms.Client // through the layer
	// moto is moto itself, for seeding legacy objects and for showing where moto differs.
	moto *s3.Client
}

func newEnv(t *testing.T, l *awstest.Layer) *env {
	t.Helper()
	akid := fmt.Sprintf("AKIATEST%08d", seq.Add(1))
	return &env{layer: l, akid: akid, s3: s3At(l.URL, akid), kms: kmsAt(l.URL, akid), moto: s3At(l.Upstream(), akid)}
}

// resolver returns a key resolver through the layer.
func (e *env) resolver() *resolver { return &resolver{kms: e.kms} }

// bucket creates a bucket through the layer, as on AWS today: SSE-S3 default encryption, so an
// object uploaded without encryption headers is SSE-S3. mod may set other creation options.
func (e *env) bucket(t *testing.T, base string, mod func(*s3.CreateBucketInput)) string {
	t.Helper()
	return createIn(t, e.s3, unique(base), mod)
}

// legacyBucket creates a bucket as buckets created before January 2023 are: objects written
// without encryption headers then were stored unencrypted, and they still are. The layer gives
// every bucket it creates SSE-S3 default encryption ("Using server-side encryption with Amazon S3
// managed keys (SSE-S3)", https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingServerSideEncryption.html),
// so such a bucket is created in moto itself; requests through the layer then find it as AWS
// would find an old bucket. enforced turns ACLs off (BucketOwnerEnforced).
func (e *env) legacyBucket(t *testing.T, base string, enforced bool) string {
	t.Helper()
	return createIn(t, e.moto, unique(base), func(in *s3.CreateBucketInput) {
		if enforced {
			in.ObjectOwnership = types.ObjectOwnershipBucketOwnerEnforced
		}
	})
}

func createIn(t *testing.T, c *s3.Client, name string, mod func(*s3.CreateBucketInput)) string {
	t.Helper()
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if mod != nil {
		mod(in)
	}
	if _, err := c.CreateBucket(context.Background(), in); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// versioned turns versioning on.
func versioned(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	if _, err := c.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("turn versioning on for %s: %v", bucket, err)
	}
}

func httpClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = 128
		tr.MaxIdleConnsPerHost = 128
	})
}

func credsFor(akid string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(akid, "testing", "testing")
}

// s3At builds an S3 client for a custom endpoint, as awsclient does for AWS_ENDPOINT_URL.
func s3At(endpoint, akid string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credsFor(akid), HTTPClient: httpClient(),
	})
}

func kmsAt(endpoint, akid string) *kms.Client {
	return kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: credsFor(akid)})
}

// resolver resolves key references with KMS DescribeKey, like sseguard's observe package.
type resolver struct {
	kms   *kms.Client
	mu    sync.Mutex
	calls int
}

func (r *resolver) ResolveKeyARN(ctx context.Context, region, ref string) (string, error) {
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
	out, err := r.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.KeyMetadata.Arn), nil
}

type key struct{ ID, ARN, Alias string }

// createKey creates a key with a unique alias made from base (e.g. "alias/mixed-required").
func createKey(t *testing.T, k *kms.Client, base string) key {
	t.Helper()
	ctx := context.Background()
	alias := unique(base)
	out, err := k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(alias)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	return key{ID: aws.ToString(out.KeyMetadata.KeyId), ARN: aws.ToString(out.KeyMetadata.Arn), Alias: alias}
}

// spec is one seeded object: what it must still be after a fix, and how it starts.
type spec struct {
	Key          string
	Body         []byte
	ContentType  string
	CacheControl string
	Metadata     map[string]string
	Tags         map[string]string
	// SSE and KMSKey say how the object is uploaded; KMSKey is the reference sent (id, alias or ARN).
	SSE       types.ServerSideEncryption
	KMSKey    string
	BucketKey bool
	// Kind is what a scan must call it (given target key required and bucket keys on).
	Kind string
	// Redirect is the object's x-amz-website-redirect-location, if any.
	Redirect string
}

var contentTypes = []string{"text/plain", "application/json", "video/mp4", "image/png", "application/x-mpegURL"}

// mixed returns n objects: unencrypted, SSE-S3, another KMS key (by id, alias or ARN), the
// required key without a bucket key (non-compliant when bucketKey is required), and compliant
// ones; big of them above 5 MiB.
func mixed(n, big int, required, other key, bucketKey bool) []spec {
	rng := rand.New(rand.NewSource(int64(n)))
	specials := []string{"with space", "plus+sign", "ünïcødé", "percent%25", "semi;colon", "quote'd", "tilde~", "a=b&c"}
	out := make([]spec, n)
	for i := range out {
		s := spec{
			Key:         fmt.Sprintf("videos/%03d/obj-%05d.bin", i%37, i),
			ContentType: contentTypes[i%len(contentTypes)],
			Metadata:    map[string]string{"seq": fmt.Sprint(i), "origin": "seed"},
			Tags:        map[string]string{"team": "media", "n": fmt.Sprint(i % 7)},
		}
		if i%11 == 0 {
			s.Key = fmt.Sprintf("odd/%s %d/obj+%d ü.txt", specials[i%len(specials)], i, i)
		}
		if i%5 == 0 {
			s.CacheControl = "max-age=3600"
		}
		if i%13 == 0 {
			s.Tags = nil
		}
		size := 64 + rng.Intn(2048)
		if i < big {
			size = 6<<20 + rng.Intn(3<<20)
		}
		s.Body = make([]byte, size)
		rng.Read(s.Body)
		switch i % 6 {
		case 0:
			s.Kind = KindUnencrypted
		case 1:
			s.SSE, s.Kind = types.ServerSideEncryptionAes256, KindSSES3
		case 2:
			s.SSE, s.KMSKey, s.Kind = types.ServerSideEncryptionAwsKms, []string{other.ID, other.Alias, other.ARN}[i%3], KindOtherKMSKey
		case 3:
			s.SSE, s.KMSKey = types.ServerSideEncryptionAwsKms, required.ID
			if bucketKey {
				s.Kind = KindBucketKeyOff
			}
		case 4:
			s.SSE, s.KMSKey, s.BucketKey, s.Kind = types.ServerSideEncryptionAwsKms, required.Alias, true, ""
		case 5:
			s.SSE, s.KMSKey, s.Kind = types.ServerSideEncryptionAes256, "", KindSSES3
		}
		out[i] = s
	}
	return out
}

func (s spec) tagging() string {
	var parts []string
	for k, v := range s.Tags {
		parts = append(parts, queryEscape(k)+"="+queryEscape(v))
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}

func seed(t *testing.T, c *s3.Client, bucket string, specs []spec) {
	t.Helper()
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(32)
	for _, s := range specs {
		g.Go(func() error {
			in := &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String(s.Key), Body: bytes.NewReader(s.Body),
				ContentType: aws.String(s.ContentType), Metadata: s.Metadata, ServerSideEncryption: s.SSE,
			}
			if s.CacheControl != "" {
				in.CacheControl = aws.String(s.CacheControl)
			}
			if s.Redirect != "" {
				in.WebsiteRedirectLocation = aws.String(s.Redirect)
			}
			if len(s.Tags) > 0 {
				in.Tagging = aws.String(s.tagging())
			}
			if s.KMSKey != "" {
				in.SSEKMSKeyId = aws.String(s.KMSKey)
				in.BucketKeyEnabled = aws.Bool(s.BucketKey)
			}
			if _, err := c.PutObject(ctx, in); err != nil {
				return fmt.Errorf("seed %s: %w", s.Key, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// observed is an object as read back independently of the package under test.
type observed struct {
	SHA256, ContentType, CacheControl string
	Metadata, Tags                    map[string]string
	SSE                               string
	KMSKey                            string
	BucketKey                         bool
}

func read(ctx context.Context, c *s3.Client, bucket, key string) (observed, error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return observed{}, fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return observed{}, err
	}
	o := observed{
		SHA256: sum(b), ContentType: aws.ToString(out.ContentType), CacheControl: aws.ToString(out.CacheControl),
		Metadata: out.Metadata, SSE: string(out.ServerSideEncryption), KMSKey: aws.ToString(out.SSEKMSKeyId), BucketKey: aws.ToBool(out.BucketKeyEnabled),
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return observed{}, fmt.Errorf("get tags of %s: %w", key, err)
	}
	if len(tags.TagSet) > 0 {
		o.Tags = map[string]string{}
		for _, tg := range tags.TagSet {
			o.Tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
	}
	return o, nil
}

// verifyFixed checks every object is under the required key with a bucket key, and otherwise
// exactly as seeded.
func verifyFixed(t *testing.T, c *s3.Client, bucket string, specs []spec, required key, bucketKey bool) {
	t.Helper()
	var mu sync.Mutex
	var problems []string
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(32)
	for _, s := range specs {
		g.Go(func() error {
			got, err := read(ctx, c, bucket, s.Key)
			if err != nil {
				return err
			}
			want := observed{
				SHA256: sum(s.Body), ContentType: s.ContentType, CacheControl: s.CacheControl,
				Metadata: s.Metadata, Tags: s.Tags, SSE: "aws:kms", KMSKey: got.KMSKey, BucketKey: got.BucketKey,
			}
			if got.KMSKey != required.ARN && got.KMSKey != required.ID && got.KMSKey != required.Alias {
				want.KMSKey = required.ARN
			}
			if bucketKey {
				want.BucketKey = true
			}
			if d := cmp.Diff(want, got); d != "" {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s (-want +got):\n%s", s.Key, d))
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(problems)
	if n := len(problems); n > 0 {
		if n > 5 {
			problems = append(problems[:5], fmt.Sprintf("... and %d more", n-5))
		}
		t.Errorf("%d objects not as required:\n%s", n, strings.Join(problems, "\n"))
	}
}

// versions counts the versions of each key.
func versions(t *testing.T, c *s3.Client, bucket string) map[string]int {
	t.Helper()
	m := map[string]int{}
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Versions {
			m[aws.ToString(v.Key)]++
		}
		if len(page.DeleteMarkers) > 0 {
			t.Errorf("bucket %s has %d delete markers", bucket, len(page.DeleteMarkers))
		}
	}
	return m
}

func noUploadsLeft(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	out, err := c.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Uploads) > 0 {
		t.Errorf("%d multipart uploads left in %s", len(out.Uploads), bucket)
	}
}

func expectedKinds(specs []spec) map[string]int {
	m := map[string]int{}
	for _, s := range specs {
		if s.Kind != "" {
			m[s.Kind]++
		}
	}
	return m
}

// checkNewer checks that key holds the bytes another writer put there during the run (content
// type application/x-newer), now encrypted under keyARN.
func checkNewer(t *testing.T, c *s3.Client, bucket, key string, want []byte, keyARN string) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, want) || aws.ToString(out.ContentType) != "application/x-newer" {
		t.Errorf("%s: %d bytes (%q...), content type %q; want the newer %d bytes", key, len(got), got[:min(len(got), 20)], aws.ToString(out.ContentType), len(want))
	}
	if out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(out.SSEKMSKeyId) != keyARN {
		t.Errorf("%s: encryption %s %s, want aws:kms %s", key, out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId), keyARN)
	}
}
