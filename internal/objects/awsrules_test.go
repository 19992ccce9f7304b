package objects

// Three rules of S3 that this package depends on and that the strict layer (internal/awstest) does
// not implement yet, added to every layer of these tests through its Handle hook. Each is shown
// against moto alone by a test (TestAWSRules). They belong in awstest, where every end-to-end test
// would get them; until then they live here.
//
//  1. Bucket owner condition: a request whose x-amz-expected-bucket-owner (or, on CopyObject and
//     UploadPartCopy, x-amz-source-expected-bucket-owner) names an account other than the bucket's
//     owner fails with 403 Access Denied ("Verifying bucket ownership with bucket owner condition",
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html). moto
//     ignores both headers. Every bucket here belongs to moto's account.
//  2. Website redirects are not copied: x-amz-website-redirect-location "is unique to each object
//     and is not copied when using the x-amz-metadata-directive header"; a copy must send it again
//     ("CopyObject", https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html). moto
//     keeps the source's redirect.
//  3. ListObjectVersions with encoding-type=url: S3 URL-encodes Key, KeyMarker, NextKeyMarker,
//     Prefix and Delimiter and says EncodingType url in the answer ("ListObjectVersions",
//     https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html). moto ignores
//     the parameter and sends control characters raw, which no XML parser accepts.

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/awstest"
	"github.com/sseguard/sseguard/internal/motoserver"
)

// installAWSRules makes l answer as S3 does where neither moto nor awstest does (rules 1-3 above).
// It takes the layer's Handle hook; tests use SetBefore for their own hooks.
func installAWSRules(l *awstest.Layer) {
	upstream := l.Upstream()
	client := &http.Client{Timeout: time.Minute}
	l.SetHandle(func(op string, w http.ResponseWriter, r *http.Request) bool {
		for _, h := range []string{"X-Amz-Expected-Bucket-Owner", "X-Amz-Source-Expected-Bucket-Owner"} {
			if v := r.Header.Get(h); v != "" && v != motoserver.Account {
				awstest.WriteS3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
				return true
			}
		}
		switch {
		case op == "CopyObject":
			if err := dropRedirect(r.Context(), client, upstream, r); err != nil {
				awstest.WriteS3Error(w, http.StatusBadGateway, "InternalError", err.Error())
				return true
			}
		case op == "ListObjectVersions" && r.URL.Query().Get("encoding-type") == "url":
			encodeVersionListing(client, upstream, w, r)
			return true
		}
		return false
	})
}

// motoRequest builds a request of the rules' own to moto, signed as moto needs it (it checks no
// signature) with the caller's access key.
func motoRequest(ctx context.Context, method, target string, caller *http.Request) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, http.NoBody)
	if err != nil {
		return nil, err
	}
	akid := "testing"
	if _, rest, ok := strings.Cut(caller.Header.Get("Authorization"), "Credential="); ok {
		akid, _, _ = strings.Cut(rest, "/")
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
	return req, nil
}

// dropRedirect turns a CopyObject that keeps the source's metadata (COPY) without sending the
// website redirect again into one that replaces the metadata with the source's own, minus the
// redirect: what S3 stores for such a copy.
func dropRedirect(ctx context.Context, client *http.Client, upstream string, r *http.Request) error {
	if r.Header.Get("X-Amz-Website-Redirect-Location") != "" || strings.EqualFold(r.Header.Get("X-Amz-Metadata-Directive"), "REPLACE") {
		return nil
	}
	src := r.Header.Get("X-Amz-Copy-Source")
	if i := strings.IndexByte(src, '?'); i >= 0 {
		src = src[:i]
	}
	req, err := motoRequest(ctx, http.MethodHead, upstream+"/"+strings.TrimPrefix(src, "/"), r)
	if err != nil {
		return fmt.Errorf("read the copy source: %w", err)
	}
	head, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("read the copy source: %w", err)
	}
	head.Body.Close()
	if head.StatusCode != http.StatusOK || head.Header.Get("X-Amz-Website-Redirect-Location") == "" {
		return nil
	}
	r.Header.Set("X-Amz-Metadata-Directive", "REPLACE")
	for k, v := range head.Header {
		switch ck := http.CanonicalHeaderKey(k); {
		case strings.HasPrefix(ck, "X-Amz-Meta-"), ck == "Content-Type", ck == "Content-Encoding", ck == "Content-Disposition",
			ck == "Content-Language", ck == "Cache-Control", ck == "Expires":
			r.Header[ck] = v
		}
	}
	return nil
}

// versionListingFields are the elements of a ListObjectVersions answer that S3 URL-encodes.
var versionListingFields = regexp.MustCompile(`<(Key|KeyMarker|NextKeyMarker|Prefix|Delimiter)>([^<]*)</(?:Key|KeyMarker|NextKeyMarker|Prefix|Delimiter)>`)

// encodeVersionListing answers a ListObjectVersions from moto's answer with the key-bearing
// elements URL-encoded (moto holds them raw: XML-escaped, control characters as they are).
func encodeVersionListing(client *http.Client, upstream string, w http.ResponseWriter, r *http.Request) {
	req, err := motoRequest(r.Context(), http.MethodGet, upstream+r.URL.RequestURI(), r)
	if err != nil {
		awstest.WriteS3Error(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		awstest.WriteS3Error(w, http.StatusBadGateway, "InternalError", err.Error())
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		awstest.WriteS3Error(w, http.StatusBadGateway, "InternalError", err.Error())
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
	_, _ = w.Write(body)
}

// urlEncode percent-encodes every byte of s but unreserved characters and "/", as S3 encodes
// keys for encoding-type=url (a space as %20, a "+" as %2B).
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
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

// TestAWSRules: each rule above answers as S3 does through the layer, where moto alone does not.
func TestAWSRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, shared)
	ctx := context.Background()
	bucket := e.bucket(t, "rules", nil)
	versioned(t, e.s3, bucket)

	t.Run("bucket owner condition", func(t *testing.T) {
		for name, c := range map[string]*s3.Client{"moto": e.moto, "layer": e.s3} {
			_, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket), ExpectedBucketOwner: aws.String("210987654321")})
			if got, want := errCode(err), map[string]string{"moto": "", "layer": codeAccessDenied}[name]; got != want {
				t.Errorf("%s: another account as the expected owner: %q (%v), want %q", name, got, err, want)
			}
			if _, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket), ExpectedBucketOwner: aws.String(motoserver.Account)}); err != nil {
				t.Errorf("%s: the right owner: %v", name, err)
			}
		}
	})

	t.Run("a copy drops the redirect it does not send", func(t *testing.T) {
		seed(t, e.s3, bucket, []spec{{Key: "a", Body: []byte("a"), Redirect: "/x"}, {Key: "b", Body: []byte("b"), Redirect: "/y"}})
		for c, key := range map[*s3.Client]string{e.moto: "a", e.s3: "b"} {
			if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), CopySource: aws.String(bucket + "/" + key),
				MetadataDirective: types.MetadataDirectiveCopy, ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
				t.Fatal(err)
			}
		}
		if a, b := redirectOf(t, e.moto, bucket, "a"), redirectOf(t, e.moto, bucket, "b"); a != "/x" || b != "" {
			t.Errorf("after a copy without the header: moto kept %q (want /x), through the layer %q (want none)", a, b)
		}
	})

	t.Run("version listings URL-encoded", func(t *testing.T) {
		const odd = "ctl/\x01start+%41 x"
		seed(t, e.s3, bucket, []spec{{Key: odd, Body: []byte("odd")}})
		in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String("ctl/"), EncodingType: types.EncodingTypeUrl}
		if _, err := e.moto.ListObjectVersions(ctx, in); err == nil {
			t.Error("moto now honours encoding-type=url on ListObjectVersions; this rule may go")
		}
		out, err := e.s3.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, v := range out.Versions {
			keys = append(keys, aws.ToString(v.Key))
		}
		if len(keys) != 1 || out.EncodingType != types.EncodingTypeUrl || keys[0] != urlEncode(odd) {
			t.Errorf("through the layer: keys %q, encoding %q; want [%q], url-encoded", keys, out.EncodingType, urlEncode(odd))
		}
	})
}
