package awstest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxInspectedBody caps the bodies the layer reads to inspect (policies, KMS and IAM calls,
// bucket configuration). Object data is never read: it streams through to moto.
const maxInspectedBody = 4 << 20

// call is one request, classified.
type call struct {
	r       *http.Request
	service string // "s3", "kms", "sts", "iam", or another credential-scope service
	op      string // operation name as counted: S3 "PutObject", KMS "kms:DescribeKey", "sts:AssumeRole"
	name    string // bare operation name: "PutObject", "DescribeKey", "AssumeRole"
	akid    string // access key id from the SigV4 credential, "" when unsigned
	region  string // region from the SigV4 credential scope
	bucket  string
	key     string
	query   url.Values
	body    []byte         // the body as inspected (aws-chunked decoded), for small-bodied calls
	params  map[string]any // KMS JSON request parameters
	form    url.Values     // STS/IAM query-protocol parameters

	// Filled by authorize.
	id         identity
	principal  string // the caller's ARN ("" when anonymous or unknown)
	restricted bool   // the access key has an identity policy

	// heads holds moto's answers to the HEADs of objects this request's rules made (headObject).
	heads map[string]headResult
}

// Operation names the S3, KMS, STS or IAM operation of a request as the layer counts it: S3
// operations by their API name ("PutObject", "GetBucketEncryption", "UpdateObjectEncryption"),
// KMS ones as "kms:Name", STS and IAM ones as "sts:Name" and "iam:Name". It reads nothing but
// the method, URL and headers, so it may be called from hooks; an STS or IAM call whose Action is
// in the body rather than the URL is named "sts:?" or "iam:?" here (hooks are given the full name).
func Operation(r *http.Request) string {
	if isS3Control(r) {
		return "s3control:" + s3ControlOperation(r)
	}
	c := &call{r: r, query: r.URL.Query()}
	c.akid, c.region, c.service = credential(r)
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		return "kms:" + targetName(r.Header.Get("X-Amz-Target"))
	case c.service == "sts" || c.service == "iam":
		if a := c.query.Get("Action"); a != "" {
			return c.service + ":" + a
		}
		return c.service + ":?"
	}
	c.splitPath()
	return s3Operation(c)
}

// classify reads what the layer needs to know about a request: for KMS, STS, IAM and small S3
// configuration calls that includes the body (put back for forwarding).
func (l *Layer) classify(r *http.Request) (*call, error) {
	c := &call{r: r, query: r.URL.Query()}
	c.akid, c.region, c.service = credential(r)
	if c.region == "" {
		c.region = "us-east-1"
	}
	if isS3Control(r) {
		return c, c.classifyS3Control()
	}
	target := r.Header.Get("X-Amz-Target")
	form := strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
	switch {
	case target != "":
		if c.service == "" {
			c.service = "kms"
		}
		c.name = targetName(target)
		c.op = "kms:" + c.name
		if err := c.readBody(); err != nil {
			return nil, err
		}
		c.params = map[string]any{}
		if len(bytes.TrimSpace(c.body)) > 0 {
			dec := json.NewDecoder(bytes.NewReader(c.body))
			dec.UseNumber()
			_ = dec.Decode(&c.params) // a malformed body is moto's to refuse
		}
		return c, nil
	case c.service == "sts" || c.service == "iam" || (form && r.Method == http.MethodPost && r.URL.Path == "/"):
		if c.service == "" || c.service == "s3" {
			c.service = "sts"
		}
		if err := c.readBody(); err != nil {
			return nil, err
		}
		c.form, _ = url.ParseQuery(string(c.body))
		for k, v := range c.query {
			if _, ok := c.form[k]; !ok {
				c.form[k] = v
			}
		}
		c.name = c.form.Get("Action")
		c.op = c.service + ":" + c.name
		return c, nil
	}
	if c.service == "" {
		c.service = "s3"
	}
	c.splitPath()
	c.op = s3Operation(c)
	c.name = c.op
	switch c.op {
	case "PutBucketPolicy", "PutBucketEncryption", "UpdateObjectEncryption", "DeleteObjects", "PutBucketReplication":
		if err := c.readBody(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// readBody reads the request body (up to maxInspectedBody), decodes aws-chunked encoding for
// inspection, and puts the original bytes back for forwarding.
func (c *call) readBody() error {
	if c.r.Body == nil || c.r.Body == http.NoBody {
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(c.r.Body, maxInspectedBody+1))
	c.r.Body.Close()
	if err != nil {
		return err
	}
	if len(raw) > maxInspectedBody {
		return errBodyTooLarge
	}
	c.r.Body = io.NopCloser(bytes.NewReader(raw))
	c.r.ContentLength = int64(len(raw))
	c.r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
	c.body = raw
	if strings.Contains(c.r.Header.Get("Content-Encoding"), "aws-chunked") {
		if dec, err := decodeAWSChunked(raw); err == nil {
			c.body = dec
		}
	}
	return nil
}

// decodeAWSChunked decodes the aws-chunked content encoding (chunk size in hex, optional
// ";chunk-signature=...", CRLF, data, CRLF; a zero-size chunk and trailers end it).
func decodeAWSChunked(raw []byte) ([]byte, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	var out bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("aws-chunked: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if i := strings.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("aws-chunked: bad chunk size %q", line)
		}
		if n == 0 {
			return out.Bytes(), nil
		}
		if _, err := io.CopyN(&out, br, n); err != nil {
			return nil, fmt.Errorf("aws-chunked: %w", err)
		}
		if _, err := br.ReadString('\n'); err != nil {
			return nil, fmt.Errorf("aws-chunked: %w", err)
		}
	}
}

// credential returns the access key id, region and service of a SigV4 request (Authorization
// header or presigned query), or empty strings for an unsigned one.
func credential(r *http.Request) (akid, region, service string) {
	cred := ""
	if a := r.Header.Get("Authorization"); a != "" {
		if i := strings.Index(a, "Credential="); i >= 0 {
			cred = a[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(cred, "/")
	if len(parts) >= 4 {
		return parts[0], parts[2], parts[3]
	}
	if len(parts) >= 1 {
		return parts[0], "", ""
	}
	return "", "", ""
}

func targetName(t string) string {
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		return t[i+1:]
	}
	return t
}

// splitPath takes the bucket and key of a path-style S3 request.
func (c *call) splitPath() {
	p := strings.TrimPrefix(c.r.URL.EscapedPath(), "/")
	if p == "" {
		return
	}
	b, k, hasKey := strings.Cut(p, "/")
	c.bucket, _ = url.PathUnescape(b)
	if hasKey {
		c.key, _ = url.PathUnescape(k)
		if c.key == "" {
			c.key = "" // "/bucket/" is a bucket request
		}
	}
}

func (c *call) has(k string) bool { _, ok := c.query[k]; return ok }

// versionID returns the versionId query parameter ("" when absent).
func (c *call) versionID() string { return c.query.Get("versionId") }

// bucketSub describes one bucket subresource: the operations and IAM actions of GET, PUT and
// DELETE on it, following "Required permissions for Amazon S3 API operations"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
type bucketSub struct {
	getOp, putOp, delOp          string
	getAction, putAction, delAct string
}

var bucketSubs = map[string]bucketSub{
	"encryption":        {"GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:PutEncryptionConfiguration"},
	"policy":            {"GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"},
	"policyStatus":      {"GetBucketPolicyStatus", "", "", "s3:GetBucketPolicyStatus", "", ""},
	"versioning":        {"GetBucketVersioning", "PutBucketVersioning", "", "s3:GetBucketVersioning", "s3:PutBucketVersioning", ""},
	"location":          {"GetBucketLocation", "", "", "s3:GetBucketLocation", "", ""},
	"tagging":           {"GetBucketTagging", "PutBucketTagging", "DeleteBucketTagging", "s3:GetBucketTagging", "s3:PutBucketTagging", "s3:PutBucketTagging"},
	"acl":               {"GetBucketAcl", "PutBucketAcl", "", "s3:GetBucketAcl", "s3:PutBucketAcl", ""},
	"object-lock":       {"GetObjectLockConfiguration", "PutObjectLockConfiguration", "", "s3:GetBucketObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration", ""},
	"website":           {"GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite", "s3:GetBucketWebsite", "s3:PutBucketWebsite", "s3:DeleteBucketWebsite"},
	"lifecycle":         {"GetBucketLifecycleConfiguration", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:PutLifecycleConfiguration"},
	"cors":              {"GetBucketCors", "PutBucketCors", "DeleteBucketCors", "s3:GetBucketCORS", "s3:PutBucketCORS", "s3:PutBucketCORS"},
	"logging":           {"GetBucketLogging", "PutBucketLogging", "", "s3:GetBucketLogging", "s3:PutBucketLogging", ""},
	"notification":      {"GetBucketNotificationConfiguration", "PutBucketNotificationConfiguration", "", "s3:GetBucketNotification", "s3:PutBucketNotification", ""},
	"ownershipControls": {"GetBucketOwnershipControls", "PutBucketOwnershipControls", "DeleteBucketOwnershipControls", "s3:GetBucketOwnershipControls", "s3:PutBucketOwnershipControls", "s3:PutBucketOwnershipControls"},
	"publicAccessBlock": {"GetPublicAccessBlock", "PutPublicAccessBlock", "DeletePublicAccessBlock", "s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
	"replication":       {"GetBucketReplication", "PutBucketReplication", "DeleteBucketReplication", "s3:GetReplicationConfiguration", "s3:PutReplicationConfiguration", "s3:PutReplicationConfiguration"},
	"requestPayment":    {"GetBucketRequestPayment", "PutBucketRequestPayment", "", "s3:GetBucketRequestPayment", "s3:PutBucketRequestPayment", ""},
	// ListBucketInventoryConfigurations (GET ?inventory, no id) and GetBucketInventoryConfiguration
	// both need s3:GetInventoryConfiguration (Amazon S3 API Reference,
	// "ListBucketInventoryConfigurations",
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBucketInventoryConfigurations.html).
	"inventory":  {"ListBucketInventoryConfigurations", "PutBucketInventoryConfiguration", "DeleteBucketInventoryConfiguration", "s3:GetInventoryConfiguration", "s3:PutInventoryConfiguration", "s3:PutInventoryConfiguration"},
	"accelerate": {"GetBucketAccelerateConfiguration", "PutBucketAccelerateConfiguration", "", "s3:GetAccelerateConfiguration", "s3:PutAccelerateConfiguration", ""},
}

// subresource returns the bucket subresource a bucket-level request addresses, if any.
func (c *call) subresource() (string, bucketSub, bool) {
	for k := range c.query {
		if s, ok := bucketSubs[k]; ok {
			return k, s, true
		}
	}
	return "", bucketSub{}, false
}

// s3Operation names the S3 operation of a path-style request.
func s3Operation(c *call) string {
	r := c.r
	if c.bucket == "" {
		if r.Method == http.MethodGet {
			return "ListBuckets"
		}
		return r.Method + " /"
	}
	if c.key == "" {
		if name, sub, ok := c.subresource(); ok {
			_ = name
			op := map[string]string{http.MethodGet: sub.getOp, http.MethodPut: sub.putOp, http.MethodDelete: sub.delOp}[r.Method]
			if op != "" {
				return op
			}
		}
		switch {
		case r.Method == http.MethodGet && c.has("versions"):
			return "ListObjectVersions"
		case r.Method == http.MethodGet && c.has("uploads"):
			return "ListMultipartUploads"
		case r.Method == http.MethodPost && c.has("delete"):
			return "DeleteObjects"
		case r.Method == http.MethodGet && c.query.Get("list-type") == "2":
			return "ListObjectsV2"
		case r.Method == http.MethodGet:
			return "ListObjects"
		case r.Method == http.MethodPut:
			return "CreateBucket"
		case r.Method == http.MethodDelete:
			return "DeleteBucket"
		case r.Method == http.MethodHead:
			return "HeadBucket"
		}
		return r.Method + " bucket"
	}
	copySrc := r.Header.Get("X-Amz-Copy-Source") != ""
	switch r.Method {
	case http.MethodHead:
		return "HeadObject"
	case http.MethodGet:
		switch {
		case c.has("tagging"):
			return "GetObjectTagging"
		case c.has("acl"):
			return "GetObjectAcl"
		case c.has("retention"):
			return "GetObjectRetention"
		case c.has("legal-hold"):
			return "GetObjectLegalHold"
		case c.has("attributes"):
			return "GetObjectAttributes"
		case c.has("uploadId"):
			return "ListParts"
		}
		return "GetObject"
	case http.MethodPut:
		switch {
		case c.has("encryption"):
			return "UpdateObjectEncryption"
		case c.has("partNumber") && copySrc:
			return "UploadPartCopy"
		case c.has("partNumber"):
			return "UploadPart"
		case c.has("tagging"):
			return "PutObjectTagging"
		case c.has("acl"):
			return "PutObjectAcl"
		case c.has("retention"):
			return "PutObjectRetention"
		case c.has("legal-hold"):
			return "PutObjectLegalHold"
		case copySrc:
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodPost:
		switch {
		case c.has("uploads"):
			return "CreateMultipartUpload"
		case c.has("uploadId"):
			return "CompleteMultipartUpload"
		case c.has("restore"):
			return "RestoreObject"
		}
	case http.MethodDelete:
		switch {
		case c.has("uploadId"):
			return "AbortMultipartUpload"
		case c.has("tagging"):
			return "DeleteObjectTagging"
		}
		return "DeleteObject"
	}
	return r.Method + " object"
}

// copySource returns the bucket, key and version id of an x-amz-copy-source header.
func copySource(r *http.Request) (bucket, key, version string, ok bool) {
	src := r.Header.Get("X-Amz-Copy-Source")
	if src == "" {
		return "", "", "", false
	}
	path, q, _ := strings.Cut(src, "?")
	if q != "" {
		if v, err := url.ParseQuery(q); err == nil {
			version = v.Get("versionId")
		}
	}
	path = strings.TrimPrefix(path, "/")
	b, k, found := strings.Cut(path, "/")
	if !found {
		return "", "", "", false
	}
	bu, err1 := url.PathUnescape(b)
	ku, err2 := url.PathUnescape(k)
	if err1 != nil || err2 != nil {
		return "", "", "", false
	}
	return bu, ku, version, true
}

// objectPath renders the escaped path-style path of an object.
func objectPath(bucket, key string) string {
	return "/" + url.PathEscape(bucket) + "/" + escapeKey(key)
}

// escapeKey escapes each path segment of an object key, keeping the slashes.
func escapeKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// str reads a string KMS parameter.
func (c *call) str(name string) string {
	if v, ok := c.params[name].(string); ok {
		return v
	}
	return ""
}
