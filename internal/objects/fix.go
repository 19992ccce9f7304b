package objects

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithytime "github.com/aws/smithy-go/time"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/sync/errgroup"
)

// errGone marks an object deleted while it was being re-encrypted.
var errGone = errors.New("the object was deleted meanwhile")

// fixObject re-encrypts one object as decided. It answers a skip reason when the object turns out
// not to be fixable after all, an error matching isPrecondition when the object changed since
// it was read (the caller reads it again), and one matching errGone when it was deleted.
func (r *runner) fixObject(ctx context.Context, key string, h *s3.HeadObjectOutput, d decision) (string, error) {
	if d.uoe {
		done, err := r.updateEncryption(ctx, key, h)
		if err != nil || done {
			return "", err
		}
		// UpdateObjectEncryption is off for this run now: decide again for a copy.
		if d, err = r.decide(ctx, key, h, false); err != nil {
			return "", err
		}
		if d.kind == "" {
			return "", nil
		}
		if d.reason != "" {
			return d.reason, nil
		}
	}
	var err error
	if aws.ToInt64(h.ContentLength) > r.o.MultipartThreshold {
		err = r.multipartCopy(ctx, key, h)
	} else {
		err = r.copyObject(ctx, key, h)
	}
	if isArchived(err) {
		return ReasonGlacier, nil
	}
	return "", err
}

// copySource is the x-amz-copy-source value for the current version of key: URL-encoded, with the
// slashes of the key kept.
func copySource(bucket, key string) string {
	esc := url.PathEscape(key)
	esc = strings.ReplaceAll(esc, "%2F", "/")
	esc = strings.ReplaceAll(esc, "+", "%2B")
	return bucket + "/" + esc
}

func (r *runner) copyObject(ctx context.Context, key string, h *s3.HeadObjectOutput) error {
	in := &s3.CopyObjectInput{
		Bucket:            aws.String(r.t.Bucket),
		Key:               aws.String(key),
		CopySource:        aws.String(copySource(r.t.Bucket, key)),
		CopySourceIfMatch: h.ETag,
		MetadataDirective: types.MetadataDirectiveCopy,
		TaggingDirective:  types.TaggingDirectiveCopy,
		StorageClass:      h.StorageClass,
		// Not covered by MetadataDirective=COPY: "x-amz-website-redirect-location is unique to
		// each object and is not copied when using the x-amz-metadata-directive header", so S3
		// drops it unless it is sent again (Amazon S3 API Reference, "CopyObject",
		// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html). Only HeadObject
		// shows it: the listing does not.
		WebsiteRedirectLocation: h.WebsiteRedirectLocation,
		// No ChecksumAlgorithm: without one, S3 gives the copy the source's checksum algorithm.
		ServerSideEncryption: types.ServerSideEncryption(r.t.Algorithm),
	}
	if r.t.Algorithm == AlgorithmKMS {
		in.SSEKMSKeyId = aws.String(r.t.KeyARN)
		in.BucketKeyEnabled = aws.Bool(r.t.BucketKey)
	}
	if !r.noDestIfMatch.Load() {
		// The source condition checks the object when the copy starts; this one checks the
		// destination (the same key) when the copy is written, so an upload landing in between
		// is not overwritten either.
		in.IfMatch = h.ETag
	}
	_, err := r.c.CopyObject(ctx, in)
	if err != nil && in.IfMatch != nil && isNotImplemented(err) {
		r.noDestIfMatch.Store(true)
		in.IfMatch = nil
		_, err = r.c.CopyObject(ctx, in)
	}
	switch {
	case err == nil:
		return nil
	case isNotFound(err):
		return fmt.Errorf("copy object onto itself: %w: %w", errGone, err)
	}
	return fmt.Errorf("copy object onto itself: %w%s", err, r.explainRefusal(err, key))
}

// partSize is the part size for an object: Options.PartSize, raised so the copy needs at most
// 10,000 parts (S3's limit), and at least 5 MiB (S3's minimum).
func partSize(size, want int64) int64 {
	const maxParts, minPart = 10000, 5 << 20
	p := want
	if min := (size + maxParts - 1) / maxParts; p < min {
		p = (min + (1<<20 - 1)) &^ (1<<20 - 1)
	}
	if p < minPart {
		p = minPart
	}
	return p
}

// multipartCopy re-encrypts an object too large for one CopyObject. A multipart upload takes none
// of the source's metadata or tags, so they are passed from the HeadObject answer and
// GetObjectTagging; every part is conditional on the ETag just read, and so is the completion.
// Any failure aborts the upload.
func (r *runner) multipartCopy(ctx context.Context, key string, h *s3.HeadObjectOutput) (err error) {
	bucket := aws.String(r.t.Bucket)
	create := &s3.CreateMultipartUploadInput{
		Bucket:             bucket,
		Key:                aws.String(key),
		Metadata:           h.Metadata,
		ContentType:        h.ContentType,
		ContentEncoding:    h.ContentEncoding,
		ContentDisposition: h.ContentDisposition,
		ContentLanguage:    h.ContentLanguage,
		CacheControl:       h.CacheControl,
		// Not copied by a multipart upload (nor by CopyObject unless sent again): see copyObject.
		WebsiteRedirectLocation: h.WebsiteRedirectLocation,
		StorageClass:            h.StorageClass,
		ServerSideEncryption:    types.ServerSideEncryption(r.t.Algorithm),
	}
	if r.t.Algorithm == AlgorithmKMS {
		create.SSEKMSKeyId = aws.String(r.t.KeyARN)
		create.BucketKeyEnabled = aws.Bool(r.t.BucketKey)
	}
	if h.TagCount == nil || *h.TagCount > 0 {
		tags, err := r.c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: bucket, Key: aws.String(key), VersionId: h.VersionId})
		if err != nil {
			return fmt.Errorf("read object tags: %w", err)
		}
		if len(tags.TagSet) > 0 {
			create.Tagging = aws.String(encodeTags(tags.TagSet))
		}
	}
	var optFns []func(*s3.Options)
	create.Expires, optFns = expires(h)
	up, err := r.c.CreateMultipartUpload(ctx, create, optFns...)
	if err != nil {
		return fmt.Errorf("start multipart copy: %w%s", err, r.explainRefusal(err, key))
	}
	uploadID := up.UploadId
	defer func() {
		if err == nil {
			return
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if _, aerr := r.c.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: bucket, Key: aws.String(key), UploadId: uploadID}); aerr != nil {
			err = fmt.Errorf("%w (and aborting multipart upload %s failed: %v)", err, aws.ToString(uploadID), aerr)
		}
	}()

	size := aws.ToInt64(h.ContentLength)
	ps := partSize(size, r.o.PartSize)
	n := int((size + ps - 1) / ps)
	parts := make([]types.CompletedPart, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.o.PartConcurrency)
	src := aws.String(copySource(r.t.Bucket, key))
	for i := 0; i < n; i++ {
		first := int64(i) * ps
		last := min(first+ps, size) - 1
		num := int32(i + 1)
		g.Go(func() error {
			out, err := r.c.UploadPartCopy(gctx, &s3.UploadPartCopyInput{
				Bucket: bucket, Key: aws.String(key), UploadId: uploadID, PartNumber: aws.Int32(num),
				CopySource: src, CopySourceIfMatch: h.ETag, CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
			})
			if err != nil {
				return fmt.Errorf("copy part %d: %w", num, err)
			}
			if out.CopyPartResult == nil {
				return fmt.Errorf("copy part %d: no result", num)
			}
			parts[num-1] = types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: aws.Int32(num)}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	_, err = r.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: bucket, Key: aws.String(key), UploadId: uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		IfMatch:         h.ETag,
	})
	if err != nil {
		return fmt.Errorf("complete multipart copy: %w", err)
	}
	return nil
}

// expires carries an object's Expires header over to a new upload. It is read as the raw header
// (the SDK's ExpiresString; its parsed Expires is deprecated and nil for a value that is not an
// HTTP date): a date is passed as such, anything else is sent back verbatim.
func expires(h *s3.HeadObjectOutput) (*time.Time, []func(*s3.Options)) {
	raw := aws.ToString(h.ExpiresString)
	if raw == "" {
		return nil, nil
	}
	if t, err := smithytime.ParseHTTPDate(raw); err == nil {
		return &t, nil
	}
	return nil, []func(*s3.Options){func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.SetHeaderValue("Expires", raw))
	}}
}

// encodeTags renders tags for the x-amz-tagging header (URL query encoding, spaces as %20).
func encodeTags(tags []types.Tag) string {
	parts := make([]string, 0, len(tags))
	for _, t := range tags {
		parts = append(parts, queryEscape(aws.ToString(t.Key))+"="+queryEscape(aws.ToString(t.Value)))
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}

func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// errDamaged wraps the error of a run stopped because UpdateObjectEncryption changed an object's
// bytes: the endpoint does not implement it.
var errDamaged = fmt.Errorf("%w: UpdateObjectEncryption damaged an object", errFatal)

// updateEncryption re-encrypts an object with UpdateObjectEncryption. It answers done=false,
// err=nil when the operation is off for the run, or turns out to be: not implemented by the
// endpoint, or refused (the caller copies instead).
//
// A refusal is any error S3 answers that is neither transient (the retryer's to handle) nor about
// this object having changed or gone: most often 403 AccessDenied, for want of
// s3:UpdateObjectEncryption or of the KMS permissions it needs on either key (Amazon S3 API
// Reference, "UpdateObjectEncryption",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UpdateObjectEncryption.html). It damaged
// nothing, and a copy may well be allowed (s3:PutObject): the gate closes for the run, with the
// code, and this object and every later one are copied.
func (r *runner) updateEncryption(ctx context.Context, key string, h *s3.HeadObjectOutput) (done bool, err error) {
	use, verify := r.gate.acquire()
	if !use {
		return false, nil
	}
	outcome, code := gateFailed, ""
	defer func() { r.gate.release(outcome, code) }()
	in := &s3.UpdateObjectEncryptionInput{
		Bucket: aws.String(r.t.Bucket),
		Key:    aws.String(key),
		ObjectEncryption: &types.ObjectEncryptionMemberSSEKMS{Value: types.SSEKMSEncryption{
			KMSKeyArn:        aws.String(r.t.KeyARN),
			BucketKeyEnabled: aws.Bool(r.t.BucketKey),
		}},
	}
	if r.versioning != "" && h.VersionId != nil {
		// The version read: a newer upload in between is left alone (and verified alone).
		in.VersionId = h.VersionId
	}
	if _, err := r.c.UpdateObjectEncryption(ctx, in); err != nil {
		switch {
		case isNotImplemented(err):
			outcome = gateNotImplemented
			return false, nil
		case isNotFound(err):
			return false, fmt.Errorf("update object encryption: %w: %w", errGone, err)
		case r.refused(ctx, err):
			outcome, code = gateRefused, errCode(err)
			return false, nil
		}
		return false, fmt.Errorf("update object encryption: %w", err)
	}
	if !verify {
		outcome = gateOK
		return true, nil
	}
	after, err := r.head(ctx, key, aws.ToString(in.VersionId))
	if err != nil {
		return false, fmt.Errorf("read object back after UpdateObjectEncryption: %w", err)
	}
	if aws.ToString(after.ETag) != aws.ToString(h.ETag) || aws.ToInt64(after.ContentLength) != aws.ToInt64(h.ContentLength) {
		outcome = gateDamaged
		err := fmt.Errorf("%w: s3://%s/%s changed from ETag %s, %d bytes to ETag %s, %d bytes; the endpoint does not implement UpdateObjectEncryption (it took the request for an upload). Run stopped; restore this object from a previous version or a backup, and use update-object-encryption: never for this endpoint",
			errDamaged, r.t.Bucket, key, aws.ToString(h.ETag), aws.ToInt64(h.ContentLength), aws.ToString(after.ETag), aws.ToInt64(after.ContentLength))
		// Stop every other worker before the gate lets them go on.
		r.cancel(err)
		return false, err
	}
	if kind := classify(r.encryptionOf(ctx, after), r.t); kind != "" {
		// Answered OK, changed nothing: don't trust it for the rest of the run.
		outcome = gateUntrusted
		return false, nil
	}
	outcome = gateOK
	return true, nil
}

// refused says whether err is S3 refusing a request, as opposed to a transient error, the run
// ending, or a precondition (the object changed: read it again).
func (r *runner) refused(ctx context.Context, err error) bool {
	var ae smithy.APIError
	return ctx.Err() == nil && errors.As(err, &ae) && !r.c.transient(err) && !isPrecondition(err)
}

// uoeGate lets the first UpdateObjectEncryption of a run go alone: until one call has been read
// back unchanged, no other is sent, so an endpoint that takes the request for an upload damages
// one object, not one per worker. The next few calls are verified too. A refusal closes it too:
// the calls waiting behind the first one then copy without sending it.
type uoeGate struct {
	mu       sync.Mutex
	cond     *sync.Cond
	state    gateState
	verified int
	used     bool
	why      gateOutcome // why the gate closed, when it did after being tried
	code     string      // the error code of the refusal that closed it
}

type gateState int

const (
	gateUntested gateState = iota
	gateProbing
	gateTrusted
	gateOff
)

type gateOutcome int

const (
	gateOK gateOutcome = iota
	gateFailed
	gateNotImplemented
	gateUntrusted
	gateDamaged
	gateRefused
)

// verifyCalls is how many UpdateObjectEncryption calls of a run are read back.
const verifyCalls = 3

func newGate(enabled bool) *uoeGate {
	g := &uoeGate{}
	g.cond = sync.NewCond(&g.mu)
	if !enabled {
		g.state = gateOff
	}
	return g
}

func (g *uoeGate) usable() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.state != gateOff
}

func (g *uoeGate) acquire() (use, verify bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.state == gateProbing {
		g.cond.Wait()
	}
	switch g.state {
	case gateUntested:
		g.state = gateProbing
		return true, true
	case gateTrusted:
		verify = g.verified < verifyCalls
		if verify {
			g.verified++
		}
		return true, verify
	}
	return false, false
}

// release records the outcome of a call acquire allowed; code is the error code of a refusal.
func (g *uoeGate) release(o gateOutcome, code string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	probing := g.state == gateProbing
	switch o {
	case gateOK:
		g.used = true
		if probing {
			g.state = gateTrusted
			g.verified++
		}
	case gateFailed:
		if probing {
			g.state = gateUntested
		}
	case gateNotImplemented, gateUntrusted, gateDamaged, gateRefused:
		if g.state != gateOff {
			g.state = gateOff
			g.why, g.code = o, code
		}
	}
	g.cond.Broadcast()
}

// String is the gate's outcome for Summary.UpdateObjectEncryption.
func (g *uoeGate) String() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch g.why {
	case gateNotImplemented:
		return "not-implemented"
	case gateUntrusted:
		return "untrusted"
	case gateDamaged:
		return "damaged"
	case gateRefused:
		s := "refused: " + safeCode(g.code)
		if g.used {
			s = "used, then " + s
		}
		return s
	}
	if g.used {
		return "used"
	}
	return "unused"
}

// safeCode keeps an error code (from the server: untrusted) to the characters error codes use.
func safeCode(code string) string {
	var b strings.Builder
	for _, c := range code {
		if b.Len() >= 64 {
			break
		}
		if c == '.' || c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return "unknown error"
	}
	return b.String()
}
