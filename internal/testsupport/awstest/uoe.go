package awstest

// Rule 5 — UpdateObjectEncryption (PUT /bucket/key?encryption), as documented in the S3 API
// Reference ("UpdateObjectEncryption", https://docs.aws.amazon.com/AmazonS3/latest/API/API_UpdateObjectEncryption.html)
// and "Updating server-side encryption for existing data"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/update-sse-encryption.html):
//
//   - it changes an object's encryption in place and "preserves all object metadata properties,
//     including the storage class, creation date, last modified date, ETag, and checksum";
//   - sources must be SSE-S3 or SSE-KMS ("Source objects that are unencrypted, or encrypted with
//     either DSSE-KMS or SSE-C aren't supported"), the target must be SSE-KMS with a full key ARN
//     ("you cannot specify SSE-S3 encryption as the requested new encryption type"), owned by the
//     bucket owner's account; Object Lock protected objects are refused with AccessDenied;
//   - it needs s3:UpdateObjectEncryption plus kms:Encrypt, kms:Decrypt, kms:GenerateDataKey and
//     kms:ReEncrypt*. The layer asks kms:Encrypt, kms:GenerateDataKey and kms:ReEncryptTo on the
//     new key, and kms:Decrypt and kms:ReEncryptFrom on the object's current key (for SSE-KMS
//     sources).
//
// moto does not know the operation: it takes the request for a PutObject and overwrites the
// object with the request's XML (UOEPassThrough shows that). The layer implements it with a copy
// onto itself in moto (metadata and tags copied) and then shows the ETag and Last-Modified the
// object had before, as AWS keeps them. Limits: a version id names the current version only, and
// in a versioned bucket moto's copy adds a version.

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// kmsKeyARNPattern is the KMSKeyArn pattern of SSEKMSEncryption
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_SSEKMSEncryption.html).
var kmsKeyARNPattern = regexp.MustCompile(`^arn:aws[-a-z0-9]*:kms:[-a-z0-9]*:[0-9]{12}:key/.+$`)

type uoeBody struct {
	XMLName xml.Name `xml:"ObjectEncryption"`
	SSEKMS  *struct {
		KMSKeyArn        string `xml:"KMSKeyArn"`
		BucketKeyEnabled string `xml:"BucketKeyEnabled"`
	} `xml:"SSE-KMS"`
	Other []xml.Name `xml:",any"`
}

func parseUOE(body []byte) (*uoeBody, error) {
	var b uoeBody
	if err := xml.Unmarshal(body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// uoeKMSRequirements are the KMS actions UpdateObjectEncryption needs (see the rule above).
func (l *Layer) uoeKMSRequirements(ctx context.Context, c *call) []requirement {
	b, err := parseUOE(c.body)
	if err != nil || b.SSEKMS == nil || b.SSEKMS.KMSKeyArn == "" {
		return nil
	}
	kctx := s3KMSContext(c, c.region, c.bucket, c.key)
	if a, ok := parseARN(b.SSEKMS.KMSKeyArn); ok && c.id.Account != "" && a.account != c.id.Account {
		// S3 refuses a key of another account itself (updateObjectEncryption) before it asks KMS
		// anything: no KMS permission is needed to be told so.
		return nil
	}
	target := l.keyARN(ctx, c, b.SSEKMS.KMSKeyArn)
	var reqs []requirement
	for _, a := range []string{"kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptTo"} {
		reqs = append(reqs, requirement{action: a, resource: target, keyARN: target, ctx: kctx})
	}
	if alg, keyRef, _ := l.objectEncryption(ctx, c, c.bucket, c.key, c.versionID()); strings.HasPrefix(alg, "aws:kms") && keyRef != "" {
		src := l.keyARN(ctx, c, keyRef)
		for _, a := range []string{"kms:Decrypt", "kms:ReEncryptFrom"} {
			reqs = append(reqs, requirement{action: a, resource: src, keyARN: src, ctx: kctx})
		}
	}
	return reqs
}

func (l *Layer) updateObjectEncryption(w http.ResponseWriter, c *call) {
	l.mu.Lock()
	mode, deny := l.opts.UpdateObjectEncryption, l.denyUOE
	l.mu.Unlock()
	switch mode {
	case UOENotImplemented:
		writeS3Error(w, http.StatusNotImplemented, "NotImplemented", "A header you provided implies functionality that is not implemented")
		return
	case UOEPassThrough:
		l.forward(w, c, nil)
		return
	}
	if deny {
		who := c.principal
		if who == "" {
			who = "anonymous"
		}
		writeS3Error(w, http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: s3:UpdateObjectEncryption on resource: \"arn:%s:s3:::%s/%s\" because no identity-based policy allows the s3:UpdateObjectEncryption action", who, c.partition(), c.bucket, c.key))
		return
	}
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()

	keyARN, bke, refusal := uoeRequest(c)
	if refusal == nil {
		refusal = l.uoeKey(ctx, c, keyARN)
	}
	var head http.Header
	if refusal == nil {
		head, refusal = l.uoeSource(ctx, c)
	}
	if refusal != nil {
		writeS3Error(w, refusal.status, refusal.code, refusal.msg)
		return
	}
	l.reencryptInMoto(ctx, w, c, keyARN, bke, head)
}

// s3Refusal is an error S3 answers with.
type s3Refusal struct {
	status    int
	code, msg string
}

// uoeRequest checks the request's body as S3 does: an SSE-KMS encryption naming a key by a
// well-formed ARN of the bucket's account, and BucketKeyEnabled true, false or absent.
func uoeRequest(c *call) (keyARN, bucketKeyEnabled string, _ *s3Refusal) {
	b, err := parseUOE(c.body)
	if err != nil {
		return "", "", &s3Refusal{http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"}
	}
	if b.SSEKMS == nil {
		return "", "", &s3Refusal{http.StatusBadRequest, "InvalidRequest", "Requests that modify an object encryption configuration require a valid new encryption type. Valid values are SSEKMS. Modify the request to specify SSE-KMS for the updated encryption type, and then try again."}
	}
	keyARN = strings.TrimSpace(b.SSEKMS.KMSKeyArn)
	if keyARN == "" {
		return "", "", &s3Refusal{http.StatusBadRequest, "InvalidRequest", "Requests that modify an object's encryption type to SSE-KMS require an AWS KMS key Amazon Resource Name (ARN). Modify the request to specify a KMS key ARN, and then try again."}
	}
	if !kmsKeyARNPattern.MatchString(keyARN) {
		return "", "", &s3Refusal{http.StatusBadRequest, "InvalidRequest", "Requests that modify an object's encryption type to SSE-KMS require a valid AWS KMS key Amazon Resource Name (ARN). Confirm that you have a correctly formatted KMS key ARN in your request, and then try again."}
	}
	bke := strings.TrimSpace(b.SSEKMS.BucketKeyEnabled)
	if bke != "" && bke != "true" && bke != "false" {
		return "", "", &s3Refusal{http.StatusBadRequest, "InvalidRequest", "The BucketKeyEnabled value isn't valid. Valid values are true or false. Modify the request to specify a valid value, and then try again."}
	}
	if a, _ := parseARN(keyARN); c.id.Account != "" && a.account != c.id.Account {
		return "", "", &s3Refusal{http.StatusForbidden, "AccessDenied", "The AWS KMS key in the request must be owned by the same account as the bucket. Modify the request to specify a KMS key from the same account, and then try again."}
	}
	return keyARN, bke, nil
}

// uoeKey refuses a key that does not exist or is not enabled, as KMS's errors through S3.
func (l *Layer) uoeKey(ctx context.Context, c *call, keyARN string) *s3Refusal {
	info, ok := l.keyInfo(ctx, c, keyARN)
	switch {
	case !ok:
		return &s3Refusal{http.StatusBadRequest, "KMS.NotFoundException", fmt.Sprintf("Invalid keyId '%s'", keyARN)}
	case info.state != "" && info.state != "Enabled":
		return &s3Refusal{http.StatusBadRequest, "KMS.KMSInvalidStateException", fmt.Sprintf("%s is %s and cannot be used.", keyARN, info.state)}
	}
	return nil
}

// uoeSource reads the object (its current version) from moto and refuses what S3 refuses to
// update: a missing object, an older version (not emulated), SSE-C, DSSE-KMS or unencrypted
// objects, and an object under Object Lock. It answers the object's headers.
func (l *Layer) uoeSource(ctx context.Context, c *call) (http.Header, *s3Refusal) {
	path := objectPath(c.bucket, c.key)
	if v := c.versionID(); v != "" {
		path += "?versionId=" + v
	}
	status, head, err := l.headObject(ctx, c, path)
	switch {
	case err != nil:
		return nil, &s3Refusal{http.StatusBadGateway, "InternalError", err.Error()}
	case status == http.StatusNotFound:
		return nil, &s3Refusal{http.StatusNotFound, "NoSuchKey", "The specified key does not exist."}
	case status != http.StatusOK:
		return nil, &s3Refusal{status, "InternalError", "HEAD of the object failed in moto: " + http.StatusText(status)}
	}
	if v := c.versionID(); v != "" && head.Get("X-Amz-Version-Id") != v {
		return nil, &s3Refusal{http.StatusNotImplemented, "NotImplemented", "the strict layer can only update the encryption of the current version of an object"}
	}
	if head.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") != "" || head.Get("X-Amz-Server-Side-Encryption") == "aws:kms:dsse" {
		return nil, &s3Refusal{http.StatusBadRequest, "InvalidRequest", "The UpdateObjectEncryption operation doesn't support source objects with the encryption type DSSE-KMS or SSE-C. Only source objects encrypted with SSE-S3 or SSE-KMS are supported."}
	}
	switch head.Get("X-Amz-Server-Side-Encryption") {
	case "AES256", "aws:kms":
	default:
		return nil, &s3Refusal{http.StatusBadRequest, "InvalidRequest", "The UpdateObjectEncryption operation doesn't supported unencrypted source objects. Only source objects encrypted with SSE-S3 or SSE-KMS are supported."}
	}
	if objectLocked(head) {
		return nil, &s3Refusal{http.StatusForbidden, "AccessDenied", "The encryption type for the specified object can't be updated because that object is protected by S3 Object Lock."}
	}
	return head, nil
}

// reencryptInMoto makes the change in moto, by copying the object onto itself under the key
// with everything else kept, and records the object's ETag and Last-Modified from before (head),
// which UpdateObjectEncryption keeps and the layer then shows.
func (l *Layer) reencryptInMoto(ctx context.Context, w http.ResponseWriter, c *call, keyARN, bke string, head http.Header) {
	cp := http.Header{}
	cp.Set("X-Amz-Copy-Source", objectPath(c.bucket, c.key))
	cp.Set("X-Amz-Metadata-Directive", "COPY")
	cp.Set("X-Amz-Tagging-Directive", "COPY")
	cp.Set("X-Amz-Server-Side-Encryption", "aws:kms")
	cp.Set("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", keyARN)
	if bke != "" {
		cp.Set("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", bke)
	}
	for _, h := range []string{"X-Amz-Storage-Class", "X-Amz-Website-Redirect-Location"} {
		if v := head.Get(h); v != "" {
			cp.Set(h, v)
		}
	}
	status, _, body, err := l.motoS3(ctx, c.akid, http.MethodPut, objectPath(c.bucket, c.key), cp, nil)
	if err != nil {
		writeS3Error(w, http.StatusBadGateway, "InternalError", err.Error())
		return
	}
	if status != http.StatusOK {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	_, after, _, err := l.motoS3(ctx, c.akid, http.MethodHead, objectPath(c.bucket, c.key), nil, nil)
	if err == nil {
		rec := uoeRecord{copyETag: after.Get("ETag"), etag: head.Get("ETag"), lastModified: head.Get("Last-Modified")}
		l.mu.Lock()
		if prev, ok := l.st.uoe[c.bucket+"/"+c.key]; ok && prev.copyETag == rec.etag {
			rec.etag, rec.lastModified = prev.etag, prev.lastModified // updated twice: keep the original
		}
		l.st.uoe[c.bucket+"/"+c.key] = rec
		l.mu.Unlock()
	}
	w.Header().Set("X-Amz-Request-Id", requestID)
	w.WriteHeader(http.StatusOK)
}

// objectLocked reports an Object Lock retention in force or a legal hold.
func objectLocked(h http.Header) bool {
	if strings.EqualFold(h.Get("X-Amz-Object-Lock-Legal-Hold"), "ON") {
		return true
	}
	if h.Get("X-Amz-Object-Lock-Mode") == "" {
		return false
	}
	until, err := time.Parse(time.RFC3339, h.Get("X-Amz-Object-Lock-Retain-Until-Date"))
	return err != nil || until.After(time.Now())
}

// keptByUOE shows, on HEAD and GET, the ETag and Last-Modified an object had before
// UpdateObjectEncryption, for as long as the object is still the layer's copy.
func (l *Layer) keptByUOE(c *call) func(*http.Response) error {
	l.mu.Lock()
	rec, ok := l.st.uoe[c.bucket+"/"+c.key]
	l.mu.Unlock()
	if !ok {
		return nil
	}
	return func(resp *http.Response) error {
		if resp.Header.Get("ETag") == rec.copyETag {
			resp.Header.Set("ETag", rec.etag)
			if rec.lastModified != "" {
				resp.Header.Set("Last-Modified", rec.lastModified)
			}
		}
		return nil
	}
}

// listingKeptByUOE does what keptByUOE does for the ETag and LastModified of listings.
func (l *Layer) listingKeptByUOE(c *call) func(*http.Response) error {
	l.mu.Lock()
	recs := map[string]uoeRecord{}
	for k, v := range l.st.uoe {
		if b, key, _ := strings.Cut(k, "/"); b == c.bucket {
			recs[key] = v
		}
	}
	l.mu.Unlock()
	if len(recs) == 0 {
		return nil
	}
	// moto encodes keys for ListObjectsV2 when asked; ListObjectVersions it sends raw (rule 10
	// encodes them after this).
	urlKeys := c.query.Get("encoding-type") == "url" && c.op != "ListObjectVersions"
	return func(resp *http.Response) error {
		if resp.StatusCode != http.StatusOK {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		setBody(resp, resp.StatusCode, rewriteListing(body, recs, urlKeys))
		return nil
	}
}

// rewriteListing splices the kept ETag and LastModified into the listing entries (Contents or
// Version) of objects updated by UpdateObjectEncryption, leaving every other byte as moto wrote it.
func rewriteListing(body []byte, recs map[string]uoeRecord, urlKeys bool) []byte {
	type splice struct {
		start, end int64
		text       string
	}
	var splices []splice
	dec := xml.NewDecoder(bytes.NewReader(body))
	var entry bool
	var key string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			if ee, ok := tok.(xml.EndElement); ok && (ee.Name.Local == "Contents" || ee.Name.Local == "Version") {
				entry, key = false, ""
			}
			continue
		}
		switch se.Name.Local {
		case "Contents", "Version":
			entry, key = true, ""
			continue
		case "Key":
			if entry {
				var k string
				if dec.DecodeElement(&k, &se) == nil {
					key = k
					if urlKeys {
						key = unescapeQueryKey(k)
					}
				}
			}
			continue
		case "ETag", "LastModified":
		default:
			continue
		}
		rec, ok := recs[key]
		if !entry || !ok {
			continue
		}
		start := dec.InputOffset()
		tok, err = dec.Token()
		if err != nil {
			break
		}
		cd, ok := tok.(xml.CharData)
		if !ok {
			continue
		}
		end := dec.InputOffset()
		var repl string
		if se.Name.Local == "ETag" {
			if string(cd) != rec.copyETag {
				continue
			}
			repl = rec.etag
		} else {
			t, err := http.ParseTime(rec.lastModified)
			if err != nil {
				continue
			}
			repl = t.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		var esc bytes.Buffer
		_ = xml.EscapeText(&esc, []byte(repl))
		splices = append(splices, splice{start, end, esc.String()})
	}
	if len(splices) == 0 {
		return body
	}
	var out bytes.Buffer
	var at int64
	for _, s := range splices {
		out.Write(body[at:s.start])
		out.WriteString(s.text)
		at = s.end
	}
	out.Write(body[at:])
	return out.Bytes()
}

func unescapeQueryKey(k string) string {
	if u, err := url.QueryUnescape(k); err == nil {
		return u
	}
	return k
}
