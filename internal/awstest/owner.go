package awstest

import (
	"net/http"
	"strings"
)

// Rule 8 — the bucket owner condition.
//
// "Verifying bucket ownership with bucket owner condition"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html): a request
// carrying x-amz-expected-bucket-owner (and, for a copy, x-amz-source-expected-bucket-owner) whose
// account is not the bucket's owner "fails with an HTTP 403 Access Denied error". moto ignores both
// headers. The owner is the account whose credentials created the bucket through the layer;
// buckets created elsewhere are not checked.

// checkExpectedOwner answers 403 (and false) when a request names another account as the owner of
// its bucket or of its copy source's bucket.
func (l *Layer) checkExpectedOwner(w http.ResponseWriter, c *call) bool {
	check := func(bucket, want string) bool {
		if bucket == "" || want == "" {
			return true
		}
		l.mu.Lock()
		owner, known := l.st.owners[bucket]
		l.mu.Unlock()
		return !known || owner == want
	}
	if !check(c.bucket, c.r.Header.Get("X-Amz-Expected-Bucket-Owner")) {
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
		return false
	}
	if src := c.r.Header.Get("X-Amz-Copy-Source"); src != "" {
		bucket, _, _ := strings.Cut(strings.TrimPrefix(src, "/"), "/")
		if !check(bucket, c.r.Header.Get("X-Amz-Source-Expected-Bucket-Owner")) {
			writeS3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
			return false
		}
	}
	return true
}

// Rule 9 — a copy does not keep the website redirect.
//
// CopyObject, x-amz-website-redirect-location: "This value is unique to each object and is not
// copied when using the x-amz-metadata-directive header. Instead, you may opt to provide this
// header in combination with the x-amz-metadata-directive header."
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html). moto keeps it when the
// copy does not send it again. The layer remembers each object a copy wrote without the header and
// drops the redirect from what HEAD and GET show of it, until the object is written again.

// trackRedirect records what a write does to an object's redirect, once moto accepted it.
func (l *Layer) trackRedirect(c *call) func(*http.Response) error {
	switch c.op {
	case "CopyObject", "PutObject", "CompleteMultipartUpload", "DeleteObject":
	default:
		return nil
	}
	id := c.bucket + "/" + c.key
	drop := c.op == "CopyObject" && c.r.Header.Get("X-Amz-Website-Redirect-Location") == ""
	return func(resp *http.Response) error {
		if resp.StatusCode/100 != 2 {
			return nil
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if drop {
			l.st.noRedirect[id] = true
		} else {
			delete(l.st.noRedirect, id)
		}
		return nil
	}
}

// hideDroppedRedirect removes the redirect from HEAD and GET answers about an object a copy wrote
// without it.
func (l *Layer) hideDroppedRedirect(c *call) func(*http.Response) error {
	l.mu.Lock()
	dropped := l.st.noRedirect[c.bucket+"/"+c.key]
	l.mu.Unlock()
	if !dropped || c.versionID() != "" {
		return nil
	}
	return func(resp *http.Response) error {
		resp.Header.Del("X-Amz-Website-Redirect-Location")
		return nil
	}
}

// chain runs response modifiers in order, skipping nil ones.
func chain(fs ...func(*http.Response) error) func(*http.Response) error {
	var live []func(*http.Response) error
	for _, f := range fs {
		if f != nil {
			live = append(live, f)
		}
	}
	if len(live) == 0 {
		return nil
	}
	return func(resp *http.Response) error {
		for _, f := range live {
			if err := f(resp); err != nil {
				return err
			}
		}
		return nil
	}
}
