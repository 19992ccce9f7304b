package awstest

// Rule 1 — bucket policies are held by the layer, not by moto.
//
// moto evaluates bucket policies without S3's request condition keys: a Deny conditioned on
// s3:x-amz-server-side-encryption refuses every upload, and a TLS-only statement refuses every
// object request over plain HTTP. The layer keeps bucket policies itself, answers
// PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy as the S3 API Reference documents
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html, ..._GetBucketPolicy.html,
// ..._DeleteBucketPolicy.html), and judges every S3 request against the held policy with S3's
// condition keys taken from the request (see authz.go).

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// maxBucketPolicy is S3's bucket policy size limit: "Bucket policies are limited to 20 KB in
// size" ("Bucket policies for Amazon S3", https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html).
const maxBucketPolicy = 20 * 1024

// bucketExists asks moto whether the bucket exists (for NoSuchBucket answers).
func (l *Layer) bucketExists(ctx context.Context, c *call) bool {
	status, _, _, err := l.motoS3(ctx, c.akid, http.MethodHead, "/"+escapeKey(c.bucket), nil, nil)
	return err == nil && status == http.StatusOK
}

func noSuchBucket(w http.ResponseWriter, c *call) {
	s3Error(w, c, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
}

// s3Error answers an S3 error; HEAD requests get the status without a body.
func s3Error(w http.ResponseWriter, c *call, status int, code, msg string) {
	if c.r.Method == http.MethodHead {
		w.Header().Set("X-Amz-Request-Id", requestID)
		w.WriteHeader(status)
		return
	}
	writeS3Error(w, status, code, msg)
}

func (l *Layer) putBucketPolicy(w http.ResponseWriter, c *call) {
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	if !l.bucketExists(ctx, c) {
		noSuchBucket(w, c)
		return
	}
	text := string(c.body)
	if len(c.body) > maxBucketPolicy {
		// The size limit is documented; the error code is the one S3-compatible servers answer.
		writeS3Error(w, http.StatusBadRequest, "PolicyTooLarge", fmt.Sprintf("Policy exceeds the maximum allowed document size (%d bytes, limit %d).", len(c.body), maxBucketPolicy))
		return
	}
	if !strings.HasPrefix(strings.TrimSpace(text), "{") {
		writeS3Error(w, http.StatusBadRequest, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'")
		return
	}
	doc, err := iampolicy.Parse(text)
	if err != nil {
		writeS3Error(w, http.StatusBadRequest, "MalformedPolicy", err.Error())
		return
	}
	if len(doc.Statements) == 0 {
		writeS3Error(w, http.StatusBadRequest, "MalformedPolicy", "Could not parse the policy: Statement is empty!")
		return
	}
	for _, s := range doc.Statements {
		for _, r := range append(append([]string{}, s.Resource...), s.NotResource...) {
			if !resourceInBucket(r, c.bucket) {
				writeS3Error(w, http.StatusBadRequest, "MalformedPolicy", "Policy has invalid resource")
				return
			}
		}
	}
	if bad := l.invalidPrincipals(ctx, c, doc); len(bad) > 0 {
		writeS3Error(w, http.StatusBadRequest, "MalformedPolicy", "Invalid principal in policy")
		return
	}
	l.mu.Lock()
	l.st.policies[c.bucket] = heldPolicy{text: text, doc: doc}
	l.mu.Unlock()
	w.Header().Set("X-Amz-Request-Id", requestID)
	w.WriteHeader(http.StatusNoContent)
}

// resourceInBucket reports whether a policy Resource names the bucket or objects in it (S3
// answers "Policy has invalid resource" otherwise).
func resourceInBucket(r, bucket string) bool {
	a, ok := parseARN(r)
	if !ok || a.service != "s3" {
		return false
	}
	b, _, _ := strings.Cut(a.resource, "/")
	return iampolicy.Glob(b, bucket)
}

func (l *Layer) getBucketPolicy(w http.ResponseWriter, c *call) {
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	if !l.bucketExists(ctx, c) {
		noSuchBucket(w, c)
		return
	}
	l.mu.Lock()
	p, ok := l.st.policies[c.bucket]
	l.mu.Unlock()
	if !ok {
		writeS3Error(w, http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist")
		return
	}
	text := l.showDeletedPrincipals(ctx, c, p.text)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amz-Request-Id", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(text))
}

func (l *Layer) deleteBucketPolicy(w http.ResponseWriter, c *call) {
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	if !l.bucketExists(ctx, c) {
		noSuchBucket(w, c)
		return
	}
	l.mu.Lock()
	delete(l.st.policies, c.bucket)
	l.mu.Unlock()
	w.Header().Set("X-Amz-Request-Id", requestID)
	w.WriteHeader(http.StatusNoContent)
}

// BucketPolicy returns the policy the layer holds for a bucket, as written ("" when none).
func (l *Layer) BucketPolicy(bucket string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.policies[bucket].text
}
