// Package objectstest is a loopback HTTP proxy to put in front of moto_server for tests and
// benchmarks of the objects package. It counts requests by S3/KMS operation, can add a fixed
// latency to each, and can make moto behave as S3 does where moto does not:
//
//   - EnforceIfMatch: x-amz-copy-source-if-match on CopyObject and UploadPartCopy, and If-Match on
//     CopyObject's and CompleteMultipartUpload's destination, answered 412 PreconditionFailed when
//     the object's current ETag differs (moto ignores them);
//   - UOE: UpdateObjectEncryption (PUT /bucket/key?encryption) answered as AWS documents it — the
//     object's bytes, ETag and metadata kept, its encryption changed — or 501 NotImplemented, or
//     403 AccessDenied (a caller without s3:UpdateObjectEncryption), or passed through to moto
//     (which stores the request's XML as the object's content);
//   - BucketOwner: x-amz-expected-bucket-owner and x-amz-source-expected-bucket-owner checked
//     against the account that owns every bucket, 403 AccessDenied when they differ (moto ignores
//     them);
//   - DropRedirectOnCopy: a CopyObject that does not send x-amz-website-redirect-location again
//     leaves the copy without the source's redirect, as S3 does (moto keeps it);
//   - EncodeVersionListings: ListObjectVersions with encoding-type=url answered with URL-encoded
//     keys and markers, as S3 does (moto ignores the parameter and sends control characters raw,
//     which no XML parser accepts).
//
// Before hooks see each request first, so a test can change an object at exactly the wrong time.
package objectstest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// UOE modes: how the proxy answers UpdateObjectEncryption.
const (
	// UOEPassThrough forwards it to the upstream unchanged (moto: the object is overwritten).
	UOEPassThrough = ""
	// UOEImplement answers it as AWS documents.
	UOEImplement = "implement"
	// UOENotImplemented answers 501 NotImplemented.
	UOENotImplemented = "not-implemented"
	// UOEAccessDenied answers 403 AccessDenied, as S3 does for a caller without
	// s3:UpdateObjectEncryption or the KMS permissions it needs (Amazon S3 API Reference,
	// "UpdateObjectEncryption", https://docs.aws.amazon.com/AmazonS3/latest/API/API_UpdateObjectEncryption.html).
	UOEAccessDenied = "access-denied"
)

// Proxy is a running proxy. Set its fields before the first request.
type Proxy struct {
	// URL is where the proxy listens, e.g. http://127.0.0.1:41234.
	URL string
	// Upstream is the server requests are forwarded to (moto).
	Upstream string
	// Latency is added to every request before it is forwarded.
	Latency time.Duration
	// EnforceIfMatch makes the proxy check conditional copies as S3 does.
	EnforceIfMatch bool
	// UOE selects how UpdateObjectEncryption is answered (a UOE constant).
	UOE string
	// BucketOwner, when set, is the account id owning every bucket: a request whose
	// x-amz-expected-bucket-owner (or, on copies, x-amz-source-expected-bucket-owner) names
	// another account is answered 403 AccessDenied (Amazon S3 User Guide, "Verifying bucket
	// ownership with bucket owner condition",
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html).
	BucketOwner string
	// DropRedirectOnCopy makes a CopyObject without x-amz-website-redirect-location drop the
	// source's redirect: "x-amz-website-redirect-location is unique to each object and is not
	// copied when using the x-amz-metadata-directive header" (Amazon S3 API Reference,
	// "CopyObject", https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
	DropRedirectOnCopy bool
	// EncodeVersionListings answers ListObjectVersions with encoding-type=url as S3 does: Key,
	// KeyMarker, NextKeyMarker, Prefix and Delimiter URL-encoded, and EncodingType in the response
	// (Amazon S3 API Reference, "ListObjectVersions",
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html).
	EncodeVersionListings bool
	// Before, when set, is called with each request's operation and request before the proxy
	// handles it (and before any If-Match check).
	Before func(op string, r *http.Request)
	// Handle, when set, may answer a request itself (after Before and the latency) and return
	// true; requests it leaves (false) go on as usual.
	Handle func(op string, w http.ResponseWriter, r *http.Request) bool

	srv    *httptest.Server
	rp     *httputil.ReverseProxy
	client *http.Client
	mu     sync.Mutex
	counts map[string]int
}

// New starts a proxy in front of upstream. Close it when done.
func New(upstream string) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	p := &Proxy{Upstream: strings.TrimRight(upstream, "/"), counts: map[string]int{}}
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 90 * time.Second}
	p.client = &http.Client{Transport: tr}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.Transport = tr
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }

// Counts returns the requests seen so far, by operation.
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		m[k] = v
	}
	return m
}

// ResetCounts zeroes the counters.
func (p *Proxy) ResetCounts() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
}

// FormatCounts renders counts as "Op=n Op=n", sorted by operation.
func FormatCounts(m map[string]int) string {
	ops := make([]string, 0, len(m))
	for k := range m {
		ops = append(ops, k)
	}
	sort.Strings(ops)
	var b strings.Builder
	for i, k := range ops {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", k, m[k])
	}
	return b.String()
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	op := Operation(r)
	p.mu.Lock()
	p.counts[op]++
	p.mu.Unlock()
	if p.Latency > 0 {
		time.Sleep(p.Latency)
	}
	if p.Before != nil {
		p.Before(op, r)
	}
	if p.Handle != nil && p.Handle(op, w, r) {
		return
	}
	if p.BucketOwner != "" && !p.checkOwner(w, r) {
		return
	}
	if p.EnforceIfMatch {
		if ok := p.checkConditions(w, r, op); !ok {
			return
		}
	}
	switch {
	case op == "UpdateObjectEncryption" && p.UOE == UOEImplement:
		p.updateObjectEncryption(w, r)
		return
	case op == "UpdateObjectEncryption" && p.UOE == UOENotImplemented:
		writeError(w, http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented")
		return
	case op == "UpdateObjectEncryption" && p.UOE == UOEAccessDenied:
		writeError(w, http.StatusForbidden, "AccessDenied", "User is not authorized to perform: s3:UpdateObjectEncryption")
		return
	case op == "CopyObject" && p.DropRedirectOnCopy:
		if !p.dropRedirect(w, r) {
			return
		}
	case op == "ListObjectVersions" && p.EncodeVersionListings && r.URL.Query().Get("encoding-type") == "url":
		p.encodeVersionListing(w, r)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// checkOwner answers 403 (and false) when a request expects its bucket, or its copy source's, to
// belong to another account than BucketOwner.
func (p *Proxy) checkOwner(w http.ResponseWriter, r *http.Request) bool {
	for _, h := range []string{"X-Amz-Expected-Bucket-Owner", "X-Amz-Source-Expected-Bucket-Owner"} {
		if v := r.Header.Get(h); v != "" && v != p.BucketOwner {
			writeError(w, http.StatusForbidden, "AccessDenied", "Access Denied")
			return false
		}
	}
	return true
}

// dropRedirect turns a CopyObject that keeps the source's metadata (COPY) but does not send the
// website redirect again into one that replaces the metadata with the source's own minus the
// redirect, which is what S3 stores for such a copy (moto would keep the redirect). It answers
// false when it answered the request itself (an error).
func (p *Proxy) dropRedirect(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("X-Amz-Website-Redirect-Location") != "" || strings.EqualFold(r.Header.Get("X-Amz-Metadata-Directive"), "REPLACE") {
		return true
	}
	src := r.Header.Get("X-Amz-Copy-Source")
	if i := strings.IndexByte(src, '?'); i >= 0 {
		src = src[:i]
	}
	head, err := p.head("/" + strings.TrimPrefix(src, "/"))
	if err != nil {
		writeError(w, http.StatusBadGateway, "InternalError", err.Error())
		return false
	}
	head.Body.Close()
	if head.StatusCode != http.StatusOK || head.Header.Get("X-Amz-Website-Redirect-Location") == "" {
		return true
	}
	r.Header.Set("X-Amz-Metadata-Directive", "REPLACE")
	for k, v := range head.Header {
		switch ck := http.CanonicalHeaderKey(k); {
		case strings.HasPrefix(ck, "X-Amz-Meta-"), ck == "Content-Type", ck == "Content-Encoding", ck == "Content-Disposition",
			ck == "Content-Language", ck == "Cache-Control", ck == "Expires":
			r.Header[ck] = v
		}
	}
	return true
}

// versionListingFields are the elements of a ListObjectVersions answer that S3 URL-encodes.
var versionListingFields = regexp.MustCompile(`<(Key|KeyMarker|NextKeyMarker|Prefix|Delimiter)>([^<]*)</(?:Key|KeyMarker|NextKeyMarker|Prefix|Delimiter)>`)

// encodeVersionListing forwards a ListObjectVersions and URL-encodes the key-bearing elements of
// moto's answer, which holds them raw (XML-escaped, but with control characters as they are).
func (p *Proxy) encodeVersionListing(w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequest(http.MethodGet, p.Upstream+r.URL.RequestURI(), http.NoBody)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	resp, err := p.do(req)
	if err != nil {
		writeError(w, http.StatusBadGateway, "InternalError", err.Error())
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		writeError(w, http.StatusBadGateway, "InternalError", err.Error())
		return
	}
	if resp.StatusCode == http.StatusOK && !bytes.Contains(body, []byte("<EncodingType>")) {
		body = versionListingFields.ReplaceAllFunc(body, func(m []byte) []byte {
			sub := versionListingFields.FindSubmatch(m)
			return []byte(fmt.Sprintf("<%s>%s</%s>", sub[1], urlEncode(html.UnescapeString(string(sub[2]))), sub[1]))
		})
		body = bytes.Replace(body, []byte("</ListVersionsResult>"), []byte("<EncodingType>url</EncodingType></ListVersionsResult>"), 1)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
}

// urlEncode percent-encodes every byte of s but unreserved characters and "/", as S3 encodes
// keys for encoding-type=url (a space as %20, a "+" as %2B).
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// Operation names the S3 (or KMS, STS, ...) operation of a path-style request.
func Operation(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		if i := strings.LastIndexByte(t, '.'); i >= 0 {
			return "kms:" + t[i+1:]
		}
		return t
	}
	q := r.URL.Query()
	path := strings.TrimPrefix(r.URL.Path, "/")
	hasKey := strings.Contains(path, "/")
	has := func(k string) bool { _, ok := q[k]; return ok }
	copySrc := r.Header.Get("X-Amz-Copy-Source") != ""
	if path == "" {
		if a := q.Get("Action"); a != "" {
			return a
		}
		return r.Method + " /"
	}
	if !hasKey {
		switch {
		case r.Method == http.MethodGet && q.Get("list-type") == "2":
			return "ListObjectsV2"
		case r.Method == http.MethodGet && has("versions"):
			return "ListObjectVersions"
		case r.Method == http.MethodGet && has("uploads"):
			return "ListMultipartUploads"
		case r.Method == http.MethodGet && has("object-lock"):
			return "GetObjectLockConfiguration"
		case r.Method == http.MethodPost && has("delete"):
			return "DeleteObjects"
		case r.Method == http.MethodGet && len(q) == 0:
			return "ListObjects"
		case r.Method == http.MethodPut && len(q) == 0:
			return "CreateBucket"
		case r.Method == http.MethodDelete && len(q) == 0:
			return "DeleteBucket"
		case r.Method == http.MethodHead:
			return "HeadBucket"
		}
		for k := range q {
			verb := map[string]string{http.MethodGet: "GetBucket", http.MethodPut: "PutBucket", http.MethodDelete: "DeleteBucket"}[r.Method]
			if verb != "" {
				return verb + strings.ToUpper(k[:1]) + k[1:]
			}
		}
		return r.Method + " bucket"
	}
	switch r.Method {
	case http.MethodHead:
		return "HeadObject"
	case http.MethodGet:
		switch {
		case has("tagging"):
			return "GetObjectTagging"
		case has("acl"):
			return "GetObjectAcl"
		case has("uploadId"):
			return "ListParts"
		}
		return "GetObject"
	case http.MethodPut:
		switch {
		case has("encryption"):
			return "UpdateObjectEncryption"
		case has("partNumber") && copySrc:
			return "UploadPartCopy"
		case has("partNumber"):
			return "UploadPart"
		case has("tagging"):
			return "PutObjectTagging"
		case has("acl"):
			return "PutObjectAcl"
		case copySrc:
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodPost:
		switch {
		case has("uploads"):
			return "CreateMultipartUpload"
		case has("uploadId"):
			return "CompleteMultipartUpload"
		}
	case http.MethodDelete:
		if has("uploadId") {
			return "AbortMultipartUpload"
		}
		if has("tagging") {
			return "DeleteObjectTagging"
		}
		return "DeleteObject"
	}
	return r.Method + " object"
}

// checkConditions answers 412 (and false) when a conditional copy's condition does not hold.
func (p *Proxy) checkConditions(w http.ResponseWriter, r *http.Request, op string) bool {
	switch op {
	case "CopyObject", "UploadPartCopy":
		if want := r.Header.Get("X-Amz-Copy-Source-If-Match"); want != "" {
			src := r.Header.Get("X-Amz-Copy-Source")
			if i := strings.IndexByte(src, '?'); i >= 0 {
				src = src[:i] // a version id in the copy source is not supported here
			}
			got, _ := p.etag("/" + strings.TrimPrefix(src, "/"))
			if got != want {
				writeError(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold (x-amz-copy-source-if-match)")
				return false
			}
		}
	}
	switch op {
	case "CopyObject", "CompleteMultipartUpload":
		if want := r.Header.Get("If-Match"); want != "" {
			got, found := p.etag(r.URL.EscapedPath())
			if !found {
				writeError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
				return false
			}
			if got != want {
				writeError(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold (If-Match)")
				return false
			}
		}
	}
	return true
}

// etag reads the current ETag of the object at an escaped path-style path.
func (p *Proxy) etag(path string) (string, bool) {
	resp, err := p.head(path)
	if err != nil {
		return "", false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", false
	}
	return resp.Header.Get("ETag"), true
}

func (p *Proxy) head(path string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodHead, p.Upstream+path, http.NoBody)
	if err != nil {
		return nil, err
	}
	return p.do(req)
}

// do sends the proxy's own requests upstream. moto refuses anonymous requests and does not check
// signatures, so any SigV4-shaped Authorization header with the test account's key will do.
func (p *Proxy) do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
	return p.client.Do(req)
}

type objectEncryption struct {
	XMLName xml.Name `xml:"ObjectEncryption"`
	SSEKMS  *struct {
		KMSKeyArn        string `xml:"KMSKeyArn"`
		BucketKeyEnabled string `xml:"BucketKeyEnabled"`
	} `xml:"SSE-KMS"`
}

// updateObjectEncryption implements UpdateObjectEncryption on top of moto: it refuses what AWS
// refuses (unencrypted and SSE-C sources, a non-ARN key), then changes the object's encryption with
// a copy onto itself that keeps bytes, ETag (single-part objects), metadata and tags.
func (p *Proxy) updateObjectEncryption(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "IncompleteBody", err.Error())
		return
	}
	var req objectEncryption
	if err := xml.Unmarshal(body, &req); err != nil || req.SSEKMS == nil {
		writeError(w, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		return
	}
	if !strings.HasPrefix(req.SSEKMS.KMSKeyArn, "arn:") || !strings.Contains(req.SSEKMS.KMSKeyArn, ":key/") {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Requests that modify an object's encryption type to SSE-KMS require a valid AWS KMS key ARN.")
		return
	}
	path := r.URL.EscapedPath()
	head, err := p.head(path)
	if err != nil {
		writeError(w, http.StatusBadGateway, "InternalError", err.Error())
		return
	}
	head.Body.Close()
	if head.StatusCode == http.StatusNotFound {
		writeError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	switch head.Header.Get("X-Amz-Server-Side-Encryption") {
	case "AES256", "aws:kms":
	default:
		writeError(w, http.StatusBadRequest, "InvalidRequest", "The UpdateObjectEncryption operation doesn't supported unencrypted source objects. Only source objects encrypted with SSE-S3 or SSE-KMS are supported.")
		return
	}
	if head.Header.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "" {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "The UpdateObjectEncryption operation doesn't support source objects with the encryption type DSSE-KMS or SSE-C.")
		return
	}
	cp, _ := http.NewRequest(http.MethodPut, p.Upstream+path, http.NoBody)
	cp.Header.Set("X-Amz-Copy-Source", path)
	cp.Header.Set("X-Amz-Metadata-Directive", "COPY")
	cp.Header.Set("X-Amz-Tagging-Directive", "COPY")
	cp.Header.Set("X-Amz-Server-Side-Encryption", "aws:kms")
	cp.Header.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", req.SSEKMS.KMSKeyArn)
	if req.SSEKMS.BucketKeyEnabled != "" {
		cp.Header.Set("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", req.SSEKMS.BucketKeyEnabled)
	}
	if sc := head.Header.Get("X-Amz-Storage-Class"); sc != "" {
		cp.Header.Set("X-Amz-Storage-Class", sc)
	}
	resp, err := p.do(cp)
	if err != nil {
		writeError(w, http.StatusBadGateway, "InternalError", err.Error())
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		w.WriteHeader(resp.StatusCode)
		w.Write(b)
		return
	}
	io.Copy(io.Discard, resp.Body)
	w.WriteHeader(http.StatusOK)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>`, code)
	xml.EscapeText(&b, []byte(msg))
	b.WriteString(`</Message><RequestId>objectstest</RequestId></Error>`)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
