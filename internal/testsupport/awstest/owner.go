package awstest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
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
		owner, known := l.bucketOwner(c, bucket)
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
// copy does not send it again. The layer turns such a copy (metadata COPY, no redirect sent, a
// source that has one) into one that replaces the metadata with the source's own, minus the
// redirect: what S3 stores for it.

// dropRedirectOnCopy rewrites a CopyObject's headers so that moto stores what S3 would.
func (l *Layer) dropRedirectOnCopy(c *call) error {
	r := c.r
	if c.op != "CopyObject" || r.Header.Get("X-Amz-Website-Redirect-Location") != "" || strings.EqualFold(r.Header.Get("X-Amz-Metadata-Directive"), "REPLACE") {
		return nil
	}
	bucket, key, _, ok := copySource(r)
	if !ok {
		return nil
	}
	ctx, cancel := ctxTimeout(r.Context())
	defer cancel()
	status, hdr, err := l.headObject(ctx, c, objectPath(bucket, key))
	if err != nil {
		return fmt.Errorf("read the copy source: %w", err)
	}
	if status != http.StatusOK || hdr.Get("X-Amz-Website-Redirect-Location") == "" {
		return nil
	}
	r.Header.Set("X-Amz-Metadata-Directive", "REPLACE")
	for k, v := range hdr {
		switch ck := http.CanonicalHeaderKey(k); {
		case strings.HasPrefix(ck, "X-Amz-Meta-"), ck == "Content-Type", ck == "Content-Encoding", ck == "Content-Disposition",
			ck == "Content-Language", ck == "Cache-Control", ck == "Expires":
			r.Header[ck] = v
		}
	}
	return nil
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

// bucketOwner returns the account that owns bucket, as far as the layer can tell: the account
// that created it through the layer, or the caller's when the caller's ListBuckets holds it.
func (l *Layer) bucketOwner(c *call, bucket string) (string, bool) {
	l.mu.Lock()
	owner, known := l.st.owners[bucket]
	l.mu.Unlock()
	if known || c.id.Account == "" {
		return owner, known
	}
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	status, _, body, err := l.motoS3(ctx, c.akid, http.MethodGet, "/", nil, nil)
	if err != nil || status != http.StatusOK {
		return "", false
	}
	var list struct {
		Names []string `xml:"Buckets>Bucket>Name"`
	}
	if xml.Unmarshal(body, &list) != nil {
		return "", false
	}
	// Every bucket the listing holds is the caller's: one listing answers for all of them (the
	// account may hold thousands, and moto lists them all each time).
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, name := range list.Names {
		if _, known := l.st.owners[name]; !known {
			l.st.owners[name] = c.id.Account
		}
	}
	owner, known = l.st.owners[bucket]
	return owner, known
}

// Rule 10 — ListObjectVersions with encoding-type=url.
//
// "ListObjectVersions" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html):
// with encoding-type=url, S3 URL-encodes Key, KeyMarker, NextKeyMarker, Prefix and Delimiter in the
// answer and says <EncodingType>url</EncodingType>. moto ignores the parameter and sends keys raw,
// control characters included, which no XML parser accepts.

// versionListingFields are the elements of a ListObjectVersions answer that S3 URL-encodes.
var versionListingFields = regexp.MustCompile(`(?s)<(Key|KeyMarker|NextKeyMarker|Prefix|Delimiter)>(.*?)</(?:Key|KeyMarker|NextKeyMarker|Prefix|Delimiter)>`)

// encodeVersionListing URL-encodes moto's ListObjectVersions answer when the request asked for it.
func encodeVersionListing(c *call) func(*http.Response) error {
	if c.op != "ListObjectVersions" || c.query.Get("encoding-type") != "url" {
		return nil
	}
	return func(resp *http.Response) error {
		if resp.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if !bytes.Contains(body, []byte("<EncodingType>")) {
			body = versionListingFields.ReplaceAllFunc(body, func(m []byte) []byte {
				sub := versionListingFields.FindSubmatch(m)
				return []byte(fmt.Sprintf("<%s>%s</%s>", sub[1], urlEncodeKey(html.UnescapeString(string(sub[2]))), sub[1]))
			})
			body = bytes.Replace(body, []byte("</ListVersionsResult>"), []byte("<EncodingType>url</EncodingType></ListVersionsResult>"), 1)
		}
		setBody(resp, resp.StatusCode, body)
		return nil
	}
}

// urlEncodeKey percent-encodes every byte but unreserved characters and "/", as S3 encodes keys
// for encoding-type=url (a space as %20, a "+" as %2B).
func urlEncodeKey(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '-', ch == '_', ch == '.', ch == '~', ch == '/':
			b.WriteByte(ch)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		}
	}
	return b.String()
}
