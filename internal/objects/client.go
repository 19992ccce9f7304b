package objects

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// NewRetryer is the retryer a run gives every S3 request unless Options.Retryer says otherwise:
// the SDK's adaptive mode (client-side rate limiting once S3 answers SlowDown or another
// throttling error) over the standard exponential backoff, with more attempts and no retry quota,
// since a bulk job would otherwise run out of retry tokens under sustained throttling.
func NewRetryer() aws.Retryer {
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
	opList       = "ListObjectsV2"
	opVersions   = "ListObjectVersions"
	opHead       = "HeadObject"
	opCopy       = "CopyObject"
	opCreateMPU  = "CreateMultipartUpload"
	opPartCopy   = "UploadPartCopy"
	opComplete   = "CompleteMultipartUpload"
	opAbort      = "AbortMultipartUpload"
	opTagging    = "GetObjectTagging"
	opACL        = "GetObjectAcl"
	opVersioning = "GetBucketVersioning"
	opOwnership  = "GetBucketOwnershipControls"
	opUOE        = "UpdateObjectEncryption"
	opLock       = "GetObjectLockConfiguration"
	opWebsite    = "GetBucketWebsite"
)

var opNames = []string{opList, opVersions, opHead, opCopy, opCreateMPU, opPartCopy, opComplete, opAbort, opTagging, opACL, opVersioning, opOwnership, opUOE, opLock, opWebsite}

// client wraps the caller's S3API: it counts requests by operation, applies the optional
// requests-per-second cap, and gives every request the run's retryer and an attempt counter.
type client struct {
	api      S3API
	limiter  *rate.Limiter
	counts   map[string]*atomic.Int64
	attempts atomic.Int64
	optFn    func(*s3.Options)
}

func newClient(api S3API, o Options) *client {
	c := &client{api: api, counts: map[string]*atomic.Int64{}}
	for _, n := range opNames {
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
		retryer = NewRetryer()
	}
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

func (c *client) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	optFns, err := c.before(ctx, opList, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.ListObjectsV2(ctx, in, optFns...)
}

func (c *client) ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	optFns, err := c.before(ctx, opVersions, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.ListObjectVersions(ctx, in, optFns...)
}

func (c *client) HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	optFns, err := c.before(ctx, opHead, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.HeadObject(ctx, in, optFns...)
}

func (c *client) CopyObject(ctx context.Context, in *s3.CopyObjectInput, optFns ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	optFns, err := c.before(ctx, opCopy, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.CopyObject(ctx, in, optFns...)
}

func (c *client) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	optFns, err := c.before(ctx, opCreateMPU, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.CreateMultipartUpload(ctx, in, optFns...)
}

func (c *client) UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, optFns ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	optFns, err := c.before(ctx, opPartCopy, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.UploadPartCopy(ctx, in, optFns...)
}

func (c *client) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	optFns, err := c.before(ctx, opComplete, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.CompleteMultipartUpload(ctx, in, optFns...)
}

func (c *client) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	optFns, err := c.before(ctx, opAbort, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.AbortMultipartUpload(ctx, in, optFns...)
}

func (c *client) GetObjectTagging(ctx context.Context, in *s3.GetObjectTaggingInput, optFns ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error) {
	optFns, err := c.before(ctx, opTagging, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.GetObjectTagging(ctx, in, optFns...)
}

func (c *client) GetObjectLockConfiguration(ctx context.Context, in *s3.GetObjectLockConfigurationInput, optFns ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error) {
	optFns, err := c.before(ctx, opLock, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.GetObjectLockConfiguration(ctx, in, optFns...)
}

func (c *client) GetBucketWebsite(ctx context.Context, in *s3.GetBucketWebsiteInput, optFns ...func(*s3.Options)) (*s3.GetBucketWebsiteOutput, error) {
	optFns, err := c.before(ctx, opWebsite, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.GetBucketWebsite(ctx, in, optFns...)
}

func (c *client) GetObjectAcl(ctx context.Context, in *s3.GetObjectAclInput, optFns ...func(*s3.Options)) (*s3.GetObjectAclOutput, error) {
	optFns, err := c.before(ctx, opACL, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.GetObjectAcl(ctx, in, optFns...)
}

func (c *client) GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, optFns ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	optFns, err := c.before(ctx, opVersioning, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.GetBucketVersioning(ctx, in, optFns...)
}

func (c *client) GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	optFns, err := c.before(ctx, opOwnership, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.GetBucketOwnershipControls(ctx, in, optFns...)
}

func (c *client) UpdateObjectEncryption(ctx context.Context, in *s3.UpdateObjectEncryptionInput, optFns ...func(*s3.Options)) (*s3.UpdateObjectEncryptionOutput, error) {
	optFns, err := c.before(ctx, opUOE, optFns)
	if err != nil {
		return nil, err
	}
	return c.api.UpdateObjectEncryption(ctx, in, optFns...)
}

// IsAWSEndpoint reports whether api sends its S3 requests to AWS's own endpoints (the
// *.amazonaws.com, *.amazonaws.com.cn or *.api.aws hosts), as resolved by the client's endpoint
// resolver for region. Anything it cannot tell (a test double, a resolver error) is not AWS.
func IsAWSEndpoint(ctx context.Context, api S3API, bucket, region string) bool {
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

// Error codes S3 answers with.
const (
	codePreconditionFailed  = "PreconditionFailed"
	codeConditionalConflict = "ConditionalRequestConflict"
	codeNotImplemented      = "NotImplemented"
	codeMethodNotAllowed    = "MethodNotAllowed"
	codeNoSuchKey           = "NoSuchKey"
	codeNotFound            = "NotFound"
	codeNotInActiveTier     = "ObjectNotInActiveTierError"
	codeInvalidObjectState  = "InvalidObjectState"
	codeACLNotSupported     = "AccessControlListNotSupported"
	codeOwnershipNotFound   = "OwnershipControlsNotFoundError"
	codeLockNotFound        = "ObjectLockConfigurationNotFoundError"
	codeNoWebsite           = "NoSuchWebsiteConfiguration"
)

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// isPrecondition: the object changed since it was read (412), or a concurrent conditional write
// collided with ours (409).
func isPrecondition(err error) bool {
	switch errCode(err) {
	case codePreconditionFailed, codeConditionalConflict:
		return true
	}
	s := httpStatus(err)
	return s == http.StatusPreconditionFailed || s == http.StatusConflict
}

func isNotFound(err error) bool {
	switch errCode(err) {
	case codeNoSuchKey, codeNotFound:
		return true
	}
	return httpStatus(err) == http.StatusNotFound
}

func isNotImplemented(err error) bool {
	switch errCode(err) {
	case codeNotImplemented, codeMethodNotAllowed:
		return true
	}
	s := httpStatus(err)
	return s == http.StatusNotImplemented || s == http.StatusMethodNotAllowed
}

func isArchived(err error) bool {
	switch errCode(err) {
	case codeNotInActiveTier, codeInvalidObjectState:
		return true
	}
	return false
}
