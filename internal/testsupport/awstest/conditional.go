package awstest

// Rule 6 (first half) — conditional copies, which moto ignores.
//
//   - x-amz-copy-source-if-match on CopyObject and UploadPartCopy: "Copies the object if its
//     entity tag (ETag) matches the specified tag", else 412 Precondition Failed
//     ("CopyObject", https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html;
//     "UploadPartCopy", https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html).
//   - If-Match on CopyObject's and CompleteMultipartUpload's destination: the write happens only if
//     the destination's ETag matches, else 412 PreconditionFailed; a missing destination is 404
//     NoSuchKey ("Add preconditions to S3 operations with conditional requests",
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html;
//     "CompleteMultipartUpload", https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html).

import (
	"context"
	"net/http"
)

// checkConditions answers 412 (and returns false) when a conditional copy's condition fails.
func (l *Layer) checkConditions(w http.ResponseWriter, c *call) bool {
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	switch c.op {
	case "CopyObject", "UploadPartCopy":
		if want := c.r.Header.Get("X-Amz-Copy-Source-If-Match"); want != "" {
			sb, sk, sv, ok := copySource(c.r)
			got, found := "", false
			if ok {
				got, found = l.currentETag(ctx, c, sb, sk, sv)
			}
			if !found {
				writeS3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
				return false
			}
			if !etagMatches(want, got) {
				writeS3Error(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
				return false
			}
		}
	}
	switch c.op {
	case "CopyObject", "CompleteMultipartUpload":
		if want := c.r.Header.Get("If-Match"); want != "" {
			got, found := l.currentETag(ctx, c, c.bucket, c.key, "")
			if !found {
				writeS3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
				return false
			}
			if !etagMatches(want, got) {
				writeS3Error(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
				return false
			}
		}
	}
	return true
}

// etagMatches compares ETags as S3 does: quoted or not, and "*" matches any existing object.
func etagMatches(want, got string) bool {
	if want == "*" {
		return true
	}
	return trimQuotes(want) == trimQuotes(got)
}

func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// currentETag reads an object's ETag as a client would see it through the layer.
func (l *Layer) currentETag(ctx context.Context, c *call, bucket, key, version string) (string, bool) {
	path := objectPath(bucket, key)
	if version != "" {
		path += "?versionId=" + version
	}
	status, h, err := l.headObject(ctx, c, path)
	if err != nil || status != http.StatusOK {
		return "", false
	}
	etag := h.Get("ETag")
	l.mu.Lock()
	rec, ok := l.st.uoe[bucket+"/"+key]
	l.mu.Unlock()
	if ok && rec.copyETag == etag {
		etag = rec.etag
	}
	return etag, true
}
