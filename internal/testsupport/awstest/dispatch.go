package awstest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"time"
)

type modKey struct{}

// modifyResponse runs the per-request response modifier forward put in the request's context.
func modifyResponse(resp *http.Response) error {
	if f, ok := resp.Request.Context().Value(modKey{}).(func(*http.Response) error); ok && f != nil {
		return f(resp)
	}
	return nil
}

// forward sends the request to moto unchanged (bodies stream through) and lets mod, when given,
// change moto's answer before it is written.
func (l *Layer) forward(w http.ResponseWriter, c *call, mod func(*http.Response) error) {
	r := c.r
	if mod != nil {
		r = r.WithContext(context.WithValue(r.Context(), modKey{}, mod))
	}
	l.rp.ServeHTTP(w, r)
}

// dispatch applies the rules to an authorized request and answers it.
func (l *Layer) dispatch(w http.ResponseWriter, c *call) {
	switch c.service {
	case "kms":
		l.dispatchKMS(w, c)
		return
	case s3ControlService:
		l.dispatchS3Control(w, c)
		return
	case "iam", "sts":
		if c.service == "sts" && c.name == "AssumeRole" && l.refuseAssumeRole(w, c) {
			return
		}
		if c.service == "sts" && c.name == "AssumeRoleWithWebIdentity" && l.refuseWebIdentity(w, c) {
			return
		}
		l.forward(w, c, nil)
		return
	}
	if c.bucket != "" && c.key == "" {
		if sub, _, ok := c.subresource(); ok {
			if c.r.Method == http.MethodGet && l.serveDelayed(w, c, sub) {
				return
			}
			if c.r.Method == http.MethodPut || c.r.Method == http.MethodDelete {
				l.delayedWrite(w, c, sub)
				return
			}
		}
	}
	l.dispatchS3(w, c)
}

func (l *Layer) dispatchS3(w http.ResponseWriter, c *call) {
	if l.sseCBlocked(w, c) {
		return
	}
	if !l.checkConditions(w, c) {
		return
	}
	if !l.checkExpectedOwner(w, c) {
		return
	}
	switch c.op {
	case "CreateBucket":
		l.createBucket(w, c)
	case "DeleteBucket":
		l.deleteBucket(w, c)
	case "PutBucketPolicy":
		l.putBucketPolicy(w, c)
	case "GetBucketPolicy":
		l.getBucketPolicy(w, c)
	case "DeleteBucketPolicy":
		l.deleteBucketPolicy(w, c)
	case "GetBucketEncryption":
		l.getBucketEncryption(w, c)
	case "PutBucketEncryption":
		l.putBucketEncryption(w, c)
	case "DeleteBucketEncryption":
		l.deleteBucketEncryption(w, c)
	case "PutBucketReplication":
		l.putBucketReplication(w, c)
	case "GetBucketReplication":
		l.getBucketReplication(w, c)
	case "DeleteBucketReplication":
		l.deleteBucketReplication(w, c)
	case "UpdateObjectEncryption":
		l.updateObjectEncryption(w, c)
	case "HeadObject", "GetObject":
		l.forward(w, c, l.keptByUOE(c))
	case "CopyObject":
		if err := l.dropRedirectOnCopy(c); err != nil {
			writeS3Error(w, http.StatusInternalServerError, "InternalError", err.Error())
			return
		}
		l.forward(w, c, nil)
	case "ListObjectsV2", "ListObjects", "ListObjectVersions":
		l.forward(w, c, chain(l.listingKeptByUOE(c), encodeVersionListing(c)))
	default:
		l.forward(w, c, nil)
	}
}

// Rule 6 (second half) — eventual consistency of bucket configuration.
//
// "Bucket configurations have an eventual consistency model. Specifically, this means that: If
// you delete a bucket and immediately list all buckets, the deleted bucket might still appear in
// the list. ..." ("Amazon S3 data consistency model",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel). With
// Options.ConsistencyDelay set, the answer a configuration read gave just before a write (of the
// same subresource: encryption, policy, versioning, tagging, ...) is what reads get until the
// delay has passed since the last write. Requests are judged against the new configuration at
// once (a bucket policy Deny applies as soon as it is written).

// serveDelayed answers a configuration read from the recorded answer during a delay.
func (l *Layer) serveDelayed(w http.ResponseWriter, c *call, sub string) bool {
	l.mu.Lock()
	d, ok := l.st.delayed[c.bucket+"?"+sub]
	if ok && time.Now().After(d.until) {
		delete(l.st.delayed, c.bucket+"?"+sub)
		ok = false
	}
	l.mu.Unlock()
	if !ok {
		return false
	}
	for k, v := range d.header {
		w.Header()[k] = v
	}
	w.WriteHeader(d.status)
	_, _ = w.Write(d.body)
	return true
}

// delayedWrite performs a configuration write, recording first what reads answered before it
// when a consistency delay is set.
func (l *Layer) delayedWrite(w http.ResponseWriter, c *call, sub string) {
	delay := l.options().ConsistencyDelay
	if delay <= 0 {
		l.dispatchS3(w, c)
		return
	}
	key := c.bucket + "?" + sub
	l.mu.Lock()
	d, active := l.st.delayed[key]
	if active && time.Now().After(d.until) {
		active = false
	}
	l.mu.Unlock()
	if !active {
		d = l.readNow(c, sub)
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	l.dispatchS3(sw, c)
	if d == nil || sw.status/100 != 2 {
		return
	}
	d.until = time.Now().Add(delay)
	l.mu.Lock()
	l.st.delayed[key] = d
	l.mu.Unlock()
}

// readNow answers a GET of the bucket subresource through the layer's own rules, unrecorded.
func (l *Layer) readNow(c *call, sub string) *delayedRead {
	req, err := http.NewRequestWithContext(c.r.Context(), http.MethodGet, "/"+escapeKey(c.bucket)+"?"+sub, http.NoBody)
	if err != nil {
		return nil
	}
	req.Header.Set("Authorization", c.r.Header.Get("Authorization"))
	req.Host = c.r.Host
	req.RemoteAddr = c.r.RemoteAddr
	rc, err := l.classify(req)
	if err != nil {
		return nil
	}
	rc.id, rc.principal, rc.restricted = c.id, c.principal, c.restricted
	rec := httptest.NewRecorder()
	l.dispatchS3(rec, rc)
	h := rec.Header().Clone()
	return &delayedRead{status: rec.Code, header: h, body: rec.Body.Bytes()}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
