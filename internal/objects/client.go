package objects

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// newRetryer is the retryer a run gives every S3 request unless Options.Retryer says otherwise:
// the SDK's adaptive mode (client-side rate limiting once S3 answers SlowDown or another
// throttling error) over the standard exponential backoff, with more attempts and no retry quota,
// since a bulk job would otherwise run out of retry tokens under sustained throttling.
func newRetryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = 10
			so.MaxBackoff = 20 * time.Second
			so.RateLimiter = ratelimit.None
		})
	})
}

// Operation names as counted in Summary.Requests.
const (
	opList             = "ListObjectsV2"
	opVersions         = "ListObjectVersions"
	opHead             = "HeadObject"
	opCopy             = "CopyObject"
	opCreateMPU        = "CreateMultipartUpload"
	opPartCopy         = "UploadPartCopy"
	opComplete         = "CompleteMultipartUpload"
	opAbort            = "AbortMultipartUpload"
	opTagging          = "GetObjectTagging"
	opACL              = "GetObjectAcl"
	opVersioning       = "GetBucketVersioning"
	opOwnership        = "GetBucketOwnershipControls"
	opUpdateEncryption = "UpdateObjectEncryption"
	opLock             = "GetObjectLockConfiguration"
	opWebsite          = "GetBucketWebsite"
	opInventoryConfigs = "ListBucketInventoryConfigurations"
	opInventoryConfig  = "GetBucketInventoryConfiguration"
	opGet              = "GetObject"
)

var opNames = []string{opList, opVersions, opHead, opCopy, opCreateMPU, opPartCopy, opComplete, opAbort, opTagging, opACL, opVersioning, opOwnership, opUpdateEncryption, opLock, opWebsite}

// inventoryOps are the requests that read an inventory (inventory.go). They are counted like the
// others but sent straight to the caller's client: the destination bucket may belong to another
// account, named by the configuration, so each carries its own expected owner.
var inventoryOps = []string{opInventoryConfigs, opInventoryConfig, opGet}

// client wraps the caller's S3API: it counts requests by operation, applies the optional
// requests-per-second cap, gives every request the run's retryer and an attempt counter and, when
// the owner is known, the expected bucket owner; it asks listings for URL-encoded keys and decodes
// them.
type client struct {
	api      S3API
	owner    *string // expected bucket owner, nil when not known
	limiter  *rate.Limiter
	retryer  aws.Retryer
	counts   map[string]*atomic.Int64
	attempts atomic.Int64
	optFn    func(*s3.Options)
}

func newClient(api S3API, o Options, owner string) *client {
	c := &client{api: api, counts: map[string]*atomic.Int64{}}
	if owner != "" {
		c.owner = aws.String(owner)
	}
	for _, n := range append(opNames[:len(opNames):len(opNames)], inventoryOps...) {
		c.counts[n] = new(atomic.Int64)
	}
	if o.RequestsPerSecond > 0 {
		burst := int(o.RequestsPerSecond)
		if burst < 1 {
			burst = 1
		}
		c.limiter = rate.NewLimiter(rate.Limit(o.RequestsPerSecond), burst)
	}
	retryer := o.Retryer
	if retryer == nil {
		retryer = newRetryer()
	}
	c.retryer = retryer
	countAttempt := middleware.FinalizeMiddlewareFunc("sseguard/objects/attempts", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		c.attempts.Add(1)
		return next.HandleFinalize(ctx, in)
	})
	c.optFn = func(so *s3.Options) {
		so.Retryer = retryer
		so.APIOptions = append(so.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Insert(countAttempt, "Retry", middleware.After)
		})
	}
	return c
}

func (c *client) before(ctx context.Context, op string, optFns []func(*s3.Options)) ([]func(*s3.Options), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.counts[op].Add(1)
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	return append(optFns[:len(optFns):len(optFns)], c.optFn), nil
}

func (c *client) requests() (map[string]int, int) {
	m := map[string]int{}
	total := 0
	for n, v := range c.counts {
		if k := int(v.Load()); k > 0 {
			m[n] = k
			total += k
		}
	}
	retries := 0
	if a := int(c.attempts.Load()); a > total {
		retries = a - total
	}
	return m, retries
}

// Listings ask for URL-encoded keys: an object key may hold characters XML 1.0 cannot carry
// (control characters), and a response holding one raw cannot be parsed at all. With
// encoding-type=url, S3 percent-encodes the key-bearing elements of the response — Delimiter,
// Prefix, Key and StartAfter for ListObjectsV2; KeyMarker, NextKeyMarker, Prefix, Key and
// Delimiter for ListObjectVersions — and says so in the response's EncodingType, which is what
// decoding keys on (Amazon S3 API Reference, "ListObjectsV2",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html, and
// "ListObjectVersions", https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html).
// The markers are decoded too, so the paginator sends the real key back as the next key-marker.

func (c *client) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	optFns, err := c.before(ctx, opList, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	cp.EncodingType = types.EncodingTypeUrl
	out, err := c.api.ListObjectsV2(ctx, &cp, optFns...)
	if err != nil || out.EncodingType != types.EncodingTypeUrl {
		return out, err
	}
	d := decoder{}
	for i := range out.Contents {
		d.decode(&out.Contents[i].Key)
	}
	for i := range out.CommonPrefixes {
		d.decode(&out.CommonPrefixes[i].Prefix)
	}
	d.decode(&out.Prefix)
	d.decode(&out.Delimiter)
	d.decode(&out.StartAfter)
	if d.err != nil {
		return nil, fmt.Errorf("decode the URL-encoded keys of a listing: %w", d.err)
	}
	return out, nil
}

func (c *client) ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	optFns, err := c.before(ctx, opVersions, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	cp.EncodingType = types.EncodingTypeUrl
	out, err := c.api.ListObjectVersions(ctx, &cp, optFns...)
	if err != nil || out.EncodingType != types.EncodingTypeUrl {
		return out, err
	}
	d := decoder{}
	for i := range out.Versions {
		d.decode(&out.Versions[i].Key)
	}
	for i := range out.DeleteMarkers {
		d.decode(&out.DeleteMarkers[i].Key)
	}
	for i := range out.CommonPrefixes {
		d.decode(&out.CommonPrefixes[i].Prefix)
	}
	d.decode(&out.KeyMarker)
	d.decode(&out.NextKeyMarker)
	d.decode(&out.Prefix)
	d.decode(&out.Delimiter)
	if d.err != nil {
		return nil, fmt.Errorf("decode the URL-encoded keys of a version listing: %w", d.err)
	}
	return out, nil
}

// decoder decodes URL-encoded keys in place, keeping the first error.
type decoder struct{ err error }

// decode undoes encoding-type=url: percent-escapes, and "+" for a space as form encoding writes
// it (a "+" in a key is always sent as %2B).
func (d *decoder) decode(s **string) {
	if *s == nil || d.err != nil {
		return
	}
	v, err := url.QueryUnescape(**s)
	if err != nil {
		d.err = err
		return
	}
	*s = &v
}

func (c *client) HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	optFns, err := c.before(ctx, opHead, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	return c.api.HeadObject(ctx, &cp, optFns...)
}

func (c *client) CopyObject(ctx context.Context, in *s3.CopyObjectInput, optFns ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	optFns, err := c.before(ctx, opCopy, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner, cp.ExpectedSourceBucketOwner = c.owner, c.owner
	return c.api.CopyObject(ctx, &cp, optFns...)
}

func (c *client) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	optFns, err := c.before(ctx, opCreateMPU, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	return c.api.CreateMultipartUpload(ctx, &cp, optFns...)
}

func (c *client) UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, optFns ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	optFns, err := c.before(ctx, opPartCopy, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner, cp.ExpectedSourceBucketOwner = c.owner, c.owner
	return c.api.UploadPartCopy(ctx, &cp, optFns...)
}

func (c *client) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	optFns, err := c.before(ctx, opComplete, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	return c.api.CompleteMultipartUpload(ctx, &cp, optFns...)
}

func (c *client) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	optFns, err := c.before(ctx, opAbort, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	return c.api.AbortMultipartUpload(ctx, &cp, optFns...)
}

func (c *client) GetObjectTagging(ctx context.Context, in *s3.GetObjectTaggingInput, optFns ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error) {
	optFns, err := c.before(ctx, opTagging, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	return c.api.GetObjectTagging(ctx, &cp, optFns...)
}

func (c *client) GetObjectLockConfiguration(ctx context.Context, in *s3.GetObjectLockConfigurationInput, optFns ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error) {
	optFns, err := c.before(ctx, opLock, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	return c.api.GetObjectLockConfiguration(ctx, &cp, optFns...)
}

func (c *client) GetBucketWebsite(ctx context.Context, in *s3.GetBucketWebsiteInput, optFns ...func(*s3.Options)) (*s3.GetBucketWebsiteOutput, error) {
	optFns, err := c.before(ctx, opWebsite, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	return c.api.GetBucketWebsite(ctx, &cp, optFns...)
}

func (c *client) GetObjectAcl(ctx context.Context, in *s3.GetObjectAclInput, optFns ...func(*s3.Options)) (*s3.GetObjectAclOutput, error) {
	optFns, err := c.before(ctx, opACL, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	return c.api.GetObjectAcl(ctx, &cp, optFns...)
}

func (c *client) GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, optFns ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	optFns, err := c.before(ctx, opVersioning, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	return c.api.GetBucketVersioning(ctx, &cp, optFns...)
}

func (c *client) GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	optFns, err := c.before(ctx, opOwnership, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	return c.api.GetBucketOwnershipControls(ctx, &cp, optFns...)
}

func (c *client) UpdateObjectEncryption(ctx context.Context, in *s3.UpdateObjectEncryptionInput, optFns ...func(*s3.Options)) (*s3.UpdateObjectEncryptionOutput, error) {
	optFns, err := c.before(ctx, opUpdateEncryption, optFns)
	if err != nil {
		return nil, err
	}
	cp := *in
	cp.ExpectedBucketOwner = c.owner
	return c.api.UpdateObjectEncryption(ctx, &cp, optFns...)
}

// transient says whether err is one the run's retryer retries (throttling, 5xx, timeouts, a
// broken connection): it says nothing about the request itself, and it was retried already.
func (c *client) transient(err error) bool {
	var maxed *retry.MaxAttemptsError
	return errors.As(err, &maxed) || c.retryer.IsErrorRetryable(err)
}

// isAWSEndpoint reports whether api sends its S3 requests to AWS's own endpoints (the
// *.amazonaws.com, *.amazonaws.com.cn or *.api.aws hosts), as resolved by the client's endpoint
// resolver for region. Anything it cannot tell (a test double, a resolver error) is not AWS.
func isAWSEndpoint(ctx context.Context, api S3API, bucket, region string) bool {
	c, ok := api.(interface{ Options() s3.Options })
	if !ok {
		return false
	}
	o := c.Options()
	if region == "" {
		region = o.Region
	}
	if o.BaseEndpoint != nil {
		return isAWSHost(*o.BaseEndpoint)
	}
	if o.EndpointResolverV2 == nil {
		return false
	}
	p := s3.EndpointParameters{
		Region:         aws.String(region),
		Bucket:         aws.String(bucket),
		ForcePathStyle: aws.Bool(o.UsePathStyle),
		UseFIPS:        aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack:   aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		Accelerate:     aws.Bool(o.UseAccelerate),
	}
	ep, err := o.EndpointResolverV2.ResolveEndpoint(ctx, p)
	if err != nil {
		return false
	}
	return isAWSHost(ep.URI.String())
}

func isAWSHost(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" {
		return false
	}
	h := strings.ToLower(u.Hostname())
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn", ".api.aws"} {
		if strings.HasSuffix(h, suffix) {
			return true
		}
	}
	return false
}
