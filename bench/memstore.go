package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memObject is one object of the in-memory bench bucket. No bytes are kept: content names what
// the bytes are (a copy carries it over; a multipart copy whose parts do not cover the source
// exactly, in order, gets "corrupt"), which is what checking "nothing lost" needs.
type memObject struct {
	size         int64
	etag         string // quoted
	content      string
	contentType  string
	meta         map[string]string
	tags         map[string]string
	sse, kmsKey  string
	bucketKey    bool
	storageClass string
	modified     time.Time
}

// memPart is one part of a multipart copy: where its bytes came from.
type memPart struct {
	content     string
	first, last int64
	etag        string
}

// memUpload is a multipart upload in progress.
type memUpload struct {
	key   string
	obj   memObject // everything but size and content, from CreateMultipartUpload
	parts map[int]memPart
}

// memStore is the bench's in-memory S3 stand-in for the bench bucket's objects (the client-bound
// mode): the proxy calls serve for every request on the bench bucket, after the added latency.
// It answers the object operations the two tools use — ListObjectsV2, HeadObject,
// GetObjectTagging, CopyObject, CreateMultipartUpload, UploadPartCopy, CompleteMultipartUpload,
// AbortMultipartUpload — as the Amazon S3 API Reference documents them, and leaves the bucket's
// own settings (versioning, ownership controls, object lock, website) to moto, where the bucket
// exists empty. UpdateObjectEncryption is answered 501 NotImplemented, as moto does: the issue
// compares copies.
type memStore struct {
	mu      sync.Mutex
	objects map[string]*memObject
	keys    []string // sorted
	uploads map[string]*memUpload
	seq     int
	// refused counts requests answered with an error, by operation and code.
	refused map[string]int
}

// newMemStore is an empty store.
func newMemStore() *memStore {
	return &memStore{objects: map[string]*memObject{}, uploads: map[string]*memUpload{}, refused: map[string]int{}}
}

// put adds an object (seeding).
func (m *memStore) put(key string, o memObject) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objects[key]; !ok {
		m.keys = append(m.keys, key)
	}
	o.etag = m.newETag()
	if o.modified.IsZero() {
		o.modified = time.Date(2024, 1, 2, 15, 4, 5, 0, time.UTC)
	}
	m.objects[key] = &o
}

// sortKeys sorts the listing order once seeding is done (ListObjectsV2 lists in UTF-8 binary order).
func (m *memStore) sortKeys() {
	m.mu.Lock()
	defer m.mu.Unlock()
	sort.Strings(m.keys)
}

// newETag is a fresh entity tag; m.mu is held.
func (m *memStore) newETag() string {
	m.seq++
	h := sha256.Sum256([]byte(strconv.Itoa(m.seq)))
	return `"` + hex.EncodeToString(h[:16]) + `"`
}

// get returns a copy of an object.
func (m *memStore) get(key string) (memObject, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[key]
	if !ok {
		return memObject{}, false
	}
	return *o, true
}

// Refused returns the errors answered, by "operation code".
func (m *memStore) Refused() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for k, v := range m.refused {
		out[k] = v
	}
	return out
}

// s3Error answers an S3 error document (Amazon S3 API Reference, "Error responses",
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html); m.mu is held.
func (m *memStore) s3Error(w http.ResponseWriter, r *http.Request, op string, status int, code, msg string) {
	m.refused[op+" "+code]++
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, xmlEscape(msg))
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// serve answers op for the bench bucket, or returns false to let moto answer.
func (m *memStore) serve(op string, w http.ResponseWriter, r *http.Request) bool {
	path := strings.TrimPrefix(r.URL.Path, "/")
	b, key, _ := strings.Cut(path, "/")
	if b != bucket {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch op {
	case "ListObjectsV2":
		m.list(w, r)
	case "HeadObject":
		m.head(w, r, key)
	case "GetObjectTagging":
		m.tagging(w, r, key)
	case "CopyObject":
		m.copy(w, r, key)
	case "CreateMultipartUpload":
		m.create(w, r, key)
	case "UploadPartCopy":
		m.partCopy(w, r, key)
	case "CompleteMultipartUpload":
		m.complete(w, r, key)
	case "AbortMultipartUpload":
		if _, ok := m.uploads[r.URL.Query().Get("uploadId")]; !ok {
			m.s3Error(w, r, op, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
			return true
		}
		delete(m.uploads, r.URL.Query().Get("uploadId"))
		w.WriteHeader(http.StatusNoContent)
	case "UpdateObjectEncryption", "GetObject", "PutObject", "UploadPart", "DeleteObject", "GetObjectAcl", "PutObjectTagging":
		m.s3Error(w, r, op, http.StatusNotImplemented, "NotImplemented", "The bench's stand-in does not implement "+op+".")
	default:
		return false
	}
	return true
}

// list answers ListObjectsV2, 1,000 keys a page at most (Amazon S3 API Reference,
// "ListObjectsV2", https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html); the
// continuation token is the next key's index. m.mu is held.
func (m *memStore) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	prefix := q.Get("prefix")
	from, _ := strconv.Atoi(q.Get("continuation-token"))
	if sa := q.Get("start-after"); sa != "" && q.Get("continuation-token") == "" {
		from = sort.SearchStrings(m.keys, sa)
		if from < len(m.keys) && m.keys[from] == sa {
			from++
		}
	}
	maxKeys := 1000
	if n, err := strconv.Atoi(q.Get("max-keys")); err == nil && n >= 0 && n < maxKeys {
		maxKeys = n
	}
	var body strings.Builder
	count, i := 0, from
	for ; i < len(m.keys) && count < maxKeys; i++ {
		k := m.keys[i]
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		o := m.objects[k]
		fmt.Fprintf(&body, `<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>%s</ETag><Size>%d</Size><StorageClass>%s</StorageClass></Contents>`,
			xmlEscape(k), o.modified.Format("2006-01-02T15:04:05.000Z"), xmlEscape(o.etag), o.size, storageClass(o))
		count++
	}
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys>`,
		bucket, xmlEscape(prefix), count, maxKeys)
	if i < len(m.keys) {
		fmt.Fprintf(w, "<IsTruncated>true</IsTruncated><NextContinuationToken>%d</NextContinuationToken>", i)
	} else {
		io.WriteString(w, "<IsTruncated>false</IsTruncated>")
	}
	io.WriteString(w, body.String()+"</ListBucketResult>")
}

func storageClass(o *memObject) string {
	if o.storageClass == "" {
		return "STANDARD"
	}
	return o.storageClass
}

// objectHeaders sets the headers HeadObject answers for o (Amazon S3 API Reference,
// "HeadObject", https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
func objectHeaders(w http.ResponseWriter, o *memObject) {
	h := w.Header()
	h.Set("ETag", o.etag)
	h.Set("Content-Length", strconv.FormatInt(o.size, 10))
	h.Set("Content-Type", o.contentType)
	h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
	for k, v := range o.meta {
		h.Set("x-amz-meta-"+k, v)
	}
	if len(o.tags) > 0 {
		h.Set("x-amz-tagging-count", strconv.Itoa(len(o.tags)))
	}
	encHeaders(w, o)
}

// encHeaders sets the encryption headers of an object.
func encHeaders(w http.ResponseWriter, o *memObject) {
	h := w.Header()
	if o.sse != "" {
		h.Set("x-amz-server-side-encryption", o.sse)
	}
	if o.sse == "aws:kms" {
		h.Set("x-amz-server-side-encryption-aws-kms-key-id", o.kmsKey)
		if o.bucketKey {
			h.Set("x-amz-server-side-encryption-bucket-key-enabled", "true")
		}
	}
}

// head answers HeadObject; m.mu is held.
func (m *memStore) head(w http.ResponseWriter, r *http.Request, key string) {
	o, ok := m.objects[key]
	if !ok {
		m.s3Error(w, r, "HeadObject", http.StatusNotFound, "NoSuchKey", "")
		return
	}
	objectHeaders(w, o)
	w.WriteHeader(http.StatusOK)
}

// tagging answers GetObjectTagging (Amazon S3 API Reference, "GetObjectTagging",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html); m.mu is held.
func (m *memStore) tagging(w http.ResponseWriter, r *http.Request, key string) {
	o, ok := m.objects[key]
	if !ok {
		m.s3Error(w, r, "GetObjectTagging", http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	names := make([]string, 0, len(o.tags))
	for k := range o.tags {
		names = append(names, k)
	}
	sort.Strings(names)
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>`)
	for _, k := range names {
		fmt.Fprintf(w, "<Tag><Key>%s</Key><Value>%s</Value></Tag>", xmlEscape(k), xmlEscape(o.tags[k]))
	}
	io.WriteString(w, "</TagSet></Tagging>")
}

// source resolves x-amz-copy-source ("bucket/key", URL-encoded, optionally with a leading slash)
// to an object of the bench bucket and checks x-amz-copy-source-if-match against it (Amazon S3
// API Reference, "CopyObject", https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html:
// a failed source condition is 412 PreconditionFailed). m.mu is held.
func (m *memStore) source(w http.ResponseWriter, r *http.Request, op string) (*memObject, bool) {
	raw := strings.TrimPrefix(r.Header.Get("X-Amz-Copy-Source"), "/")
	src, err := url.PathUnescape(raw)
	if err != nil {
		m.s3Error(w, r, op, http.StatusBadRequest, "InvalidArgument", "Invalid copy source encoding.")
		return nil, false
	}
	src, _, _ = strings.Cut(src, "?versionId=")
	b, key, _ := strings.Cut(src, "/")
	o, ok := m.objects[key]
	if b != bucket || !ok {
		m.s3Error(w, r, op, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return nil, false
	}
	if im := r.Header.Get("X-Amz-Copy-Source-If-Match"); im != "" && strings.Trim(im, `"`) != strings.Trim(o.etag, `"`) {
		m.s3Error(w, r, op, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
		return nil, false
	}
	return o, true
}

// destIfMatch checks If-Match on the destination key (CopyObject and CompleteMultipartUpload
// take one: "Amazon S3 conditional writes",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). m.mu is held.
func (m *memStore) destIfMatch(w http.ResponseWriter, r *http.Request, op, key string) bool {
	im := r.Header.Get("If-Match")
	if im == "" {
		return true
	}
	o, ok := m.objects[key]
	if !ok {
		m.s3Error(w, r, op, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return false
	}
	if strings.Trim(im, `"`) != strings.Trim(o.etag, `"`) {
		m.s3Error(w, r, op, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
		return false
	}
	return true
}

// requestEncryption reads the SSE headers of a write. Without them the object takes the bucket's
// default, SSE-S3 here ("Setting default server-side encryption behavior for Amazon S3 buckets",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html); SSE-KMS without
// a key id means the AWS managed key aws/s3.
func requestEncryption(r *http.Request, o *memObject) {
	o.sse, o.kmsKey, o.bucketKey = "AES256", "", false
	switch r.Header.Get("X-Amz-Server-Side-Encryption") {
	case "aws:kms":
		o.sse = "aws:kms"
		o.kmsKey = r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
		if o.kmsKey == "" {
			o.kmsKey = "alias/aws/s3"
		}
		o.bucketKey = r.Header.Get("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled") == "true"
	}
}

// requestMeta reads user metadata and content type from a write's headers.
func requestMeta(r *http.Request, o *memObject) {
	o.meta = map[string]string{}
	for k, v := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-meta-") && len(v) > 0 {
			o.meta[strings.TrimPrefix(lk, "x-amz-meta-")] = v[0]
		}
	}
	o.contentType = r.Header.Get("Content-Type")
	if o.contentType == "" {
		o.contentType = "binary/octet-stream"
	}
}

// requestTags reads x-amz-tagging (URL query encoded).
func requestTags(r *http.Request) map[string]string {
	tags := map[string]string{}
	q, _ := url.ParseQuery(r.Header.Get("X-Amz-Tagging"))
	for k, v := range q {
		if len(v) > 0 {
			tags[k] = v[0]
		}
	}
	return tags
}

// copy answers CopyObject: metadata and tags are copied unless the directives say REPLACE, the
// encryption is what the request asks (CopyObject, as above). m.mu is held.
func (m *memStore) copy(w http.ResponseWriter, r *http.Request, key string) {
	src, ok := m.source(w, r, "CopyObject")
	if !ok || !m.destIfMatch(w, r, "CopyObject", key) {
		return
	}
	if src.size > 5<<30 {
		m.s3Error(w, r, "CopyObject", http.StatusBadRequest, "InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
		return
	}
	n := *src
	if r.Header.Get("X-Amz-Metadata-Directive") == "REPLACE" {
		requestMeta(r, &n)
	}
	if r.Header.Get("X-Amz-Tagging-Directive") == "REPLACE" {
		n.tags = requestTags(r)
	}
	if sc := r.Header.Get("X-Amz-Storage-Class"); sc != "" {
		n.storageClass = sc
	}
	requestEncryption(r, &n)
	n.etag, n.modified = m.newETag(), time.Now().UTC()
	if _, exists := m.objects[key]; !exists {
		m.keys = append(m.keys, key)
		sort.Strings(m.keys)
	}
	m.objects[key] = &n
	encHeaders(w, &n)
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult><LastModified>%s</LastModified><ETag>%s</ETag></CopyObjectResult>`,
		n.modified.Format("2006-01-02T15:04:05.000Z"), xmlEscape(n.etag))
}

// create answers CreateMultipartUpload (Amazon S3 API Reference, "CreateMultipartUpload",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html): the new
// object's metadata, tags and encryption come from this request only. m.mu is held.
func (m *memStore) create(w http.ResponseWriter, r *http.Request, key string) {
	u := &memUpload{key: key, parts: map[int]memPart{}}
	requestMeta(r, &u.obj)
	requestEncryption(r, &u.obj)
	u.obj.tags = requestTags(r)
	u.obj.storageClass = r.Header.Get("X-Amz-Storage-Class")
	m.seq++
	id := fmt.Sprintf("upload-%d", m.seq)
	m.uploads[id] = u
	encHeaders(w, &u.obj)
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId></InitiateMultipartUploadResult>`,
		bucket, xmlEscape(key), id)
}

// partCopy answers UploadPartCopy (Amazon S3 API Reference, "UploadPartCopy",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html): x-amz-copy-source-range
// is "bytes=first-last"; without it the whole source. m.mu is held.
func (m *memStore) partCopy(w http.ResponseWriter, r *http.Request, key string) {
	q := r.URL.Query()
	u, ok := m.uploads[q.Get("uploadId")]
	if !ok || u.key != key {
		m.s3Error(w, r, "UploadPartCopy", http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
		return
	}
	num, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil || num < 1 || num > 10000 {
		m.s3Error(w, r, "UploadPartCopy", http.StatusBadRequest, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
		return
	}
	src, ok := m.source(w, r, "UploadPartCopy")
	if !ok {
		return
	}
	first, last := int64(0), src.size-1
	if rg := r.Header.Get("X-Amz-Copy-Source-Range"); rg != "" {
		a, b, found := strings.Cut(strings.TrimPrefix(rg, "bytes="), "-")
		f, err1 := strconv.ParseInt(a, 10, 64)
		l, err2 := strconv.ParseInt(b, 10, 64)
		if !found || err1 != nil || err2 != nil || f < 0 || l < f || l >= src.size {
			m.s3Error(w, r, "UploadPartCopy", http.StatusBadRequest, "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
			return
		}
		first, last = f, l
	}
	p := memPart{content: src.content, first: first, last: last, etag: m.newETag()}
	u.parts[num] = p
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><CopyPartResult><LastModified>%s</LastModified><ETag>%s</ETag></CopyPartResult>`,
		time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), xmlEscape(p.etag))
}

// complete answers CompleteMultipartUpload (Amazon S3 API Reference, "CompleteMultipartUpload",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html): the parts
// listed, in ascending order, each with the ETag its upload answered, make the object; every
// part but the last is at least 5 MiB (EntityTooSmall otherwise). m.mu is held.
func (m *memStore) complete(w http.ResponseWriter, r *http.Request, key string) {
	id := r.URL.Query().Get("uploadId")
	u, ok := m.uploads[id]
	if !ok || u.key != key {
		m.s3Error(w, r, "CompleteMultipartUpload", http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
		return
	}
	var doc struct {
		Parts []struct {
			PartNumber int
			ETag       string
		} `xml:"Part"`
	}
	if err := xml.NewDecoder(r.Body).Decode(&doc); err != nil || len(doc.Parts) == 0 {
		m.s3Error(w, r, "CompleteMultipartUpload", http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		return
	}
	if !m.destIfMatch(w, r, "CompleteMultipartUpload", key) {
		return
	}
	n := u.obj
	var next int64
	content := ""
	prev := 0
	for i, cp := range doc.Parts {
		p, ok := u.parts[cp.PartNumber]
		if !ok || strings.Trim(cp.ETag, `"`) != strings.Trim(p.etag, `"`) {
			m.s3Error(w, r, "CompleteMultipartUpload", http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found.")
			return
		}
		if cp.PartNumber <= prev {
			m.s3Error(w, r, "CompleteMultipartUpload", http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order.")
			return
		}
		prev = cp.PartNumber
		if i < len(doc.Parts)-1 && p.last-p.first+1 < 5<<20 {
			m.s3Error(w, r, "CompleteMultipartUpload", http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.")
			return
		}
		// The object's bytes are the source's only if the parts are its ranges back to back.
		if i == 0 {
			content = p.content
		}
		if p.content != content || p.first != next {
			content = "corrupt"
		}
		next = p.last + 1
	}
	if src := m.objects[key]; content != "corrupt" && (src == nil || src.content != content || next != src.size) {
		// A copy onto itself must cover the whole object.
		content = "corrupt"
	}
	n.size, n.content = next, content
	n.etag, n.modified = m.newETag(), time.Now().UTC()
	if _, exists := m.objects[key]; !exists {
		m.keys = append(m.keys, key)
		sort.Strings(m.keys)
	}
	m.objects[key] = &n
	delete(m.uploads, id)
	encHeaders(w, &n)
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>%s</Bucket><Key>%s</Key><ETag>%s</ETag></CompleteMultipartUploadResult>`,
		bucket, xmlEscape(key), xmlEscape(n.etag))
}
