package objects

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithytime "github.com/aws/smithy-go/time"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/sync/errgroup"
)

// fixObject re-encrypts one object as decided. It answers a skip reason when the object turns out
// not to be fixable after all, an error matching isPrecondition when the object changed since
// it was read (the caller reads it again), and one matching errGone when it was deleted.
func (r *runner) fixObject(ctx context.Context, key string, h *s3.HeadObjectOutput, d decision) (string, error) {
	if d.inPlace {
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
	if !r.destIfMatchNotImplemented.Load() {
		// The source condition checks the object when the copy starts; this one checks the
		// destination (the same key) when the copy is written, so an upload landing in between
		// is not overwritten either.
		in.IfMatch = h.ETag
	}
	_, err := r.c.CopyObject(ctx, in)
	if err != nil && in.IfMatch != nil && isNotImplemented(err) {
		r.destIfMatchNotImplemented.Store(true)
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
