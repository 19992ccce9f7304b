package awstest

// Rule 2 — default encryption and BlockedEncryptionTypes.
//
//   - Every bucket has SSE-S3 default encryption: "Amazon S3 now applies server-side encryption
//     with Amazon S3 managed keys (SSE-S3) as the base level of encryption for every bucket ...
//     Starting January 5, 2023" ("Using server-side encryption with Amazon S3 managed keys
//     (SSE-S3)", https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingServerSideEncryption.html).
//     moto answers GetBucketEncryption on a never-configured bucket with
//     ServerSideEncryptionConfigurationNotFoundError and stores objects uploaded without headers
//     unencrypted; the layer answers AES256, gives buckets it creates SSE-S3 default encryption in
//     moto, and puts it back after DeleteBucketEncryption ("DeleteBucketEncryption ... resets the
//     default encryption for the bucket as server-side encryption with Amazon S3 managed keys",
//     https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketEncryption.html).
//   - BlockedEncryptionTypes (a Rule element holding EncryptionType values NONE | SSE-C;
//     "BlockedEncryptionTypes", https://docs.aws.amazon.com/AmazonS3/latest/API/API_BlockedEncryptionTypes.html,
//     types.BlockedEncryptionTypes in aws-sdk-go-v2 service/s3 v1.114.10) is kept per bucket, set by
//     PutBucketEncryption and returned by GetBucketEncryption (moto drops it).
//   - "Starting April 2026, Amazon S3 automatically disables server-side encryption with
//     customer-provided keys (SSE-C) for all new general purpose buckets"; "When SSE-C is blocked
//     for a bucket, any PutObject, CopyObject, PostObject, Multipart Upload, or replication request
//     that specifies SSE-C encryption will be rejected with an HTTP 403 AccessDenied error"
//     ("Blocking or unblocking SSE-C for a general purpose bucket",
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/blocking-unblocking-s3-c-encryption-gpb.html).
//     Buckets created through the layer block SSE-C; moto accepts SSE-C writes everywhere.
//
// A PutBucketEncryption replaces the whole configuration: a rule without BlockedEncryptionTypes
// leaves nothing blocked and GetBucketEncryption then shows none (S3's documentation does not say
// otherwise; sseguard writes back what it read, so it is right either way). The types are shown as
// written (NONE included).

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
)

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// sseConfig is a ServerSideEncryptionConfiguration document.
type sseConfig struct {
	XMLName xml.Name  `xml:"ServerSideEncryptionConfiguration"`
	Xmlns   string    `xml:"xmlns,attr,omitempty"`
	Rules   []sseRule `xml:"Rule"`
}

type sseRule struct {
	Default *struct {
		SSEAlgorithm   string `xml:"SSEAlgorithm"`
		KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	} `xml:"ApplyServerSideEncryptionByDefault"`
	Blocked *struct {
		Types []string `xml:"EncryptionType"`
	} `xml:"BlockedEncryptionTypes"`
	BucketKeyEnabled *bool `xml:"BucketKeyEnabled"`
}

var aes256Config = []byte(`<?xml version="1.0" encoding="UTF-8"?><ServerSideEncryptionConfiguration xmlns="` + s3Namespace + `"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`)

// putMotoSSES3 gives a bucket SSE-S3 default encryption in moto, so that objects uploaded without
// encryption headers come back AES256, as in AWS.
func (l *Layer) putMotoSSES3(ctx context.Context, akid, bucket string) {
	hdr := http.Header{"Content-Type": {"application/xml"}}
	_, _, _, _ = l.motoS3(ctx, akid, http.MethodPut, "/"+escapeKey(bucket)+"?encryption", hdr, aes256Config)
}

var ownerEnforced = []byte(`<?xml version="1.0" encoding="UTF-8"?><OwnershipControls xmlns="` + s3Namespace + `"><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>`)

// putMotoOwnerEnforced gives a new bucket Object Ownership "bucket owner enforced" (ACLs
// disabled), the default for every new bucket since April 2023 ("Controlling ownership of objects
// and disabling ACLs for your bucket", https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html:
// "By default, Object Ownership is set to the Bucket owner enforced setting, and all ACLs are
// disabled"). moto leaves new buckets without ownership controls.
func (l *Layer) putMotoOwnerEnforced(ctx context.Context, akid, bucket string) {
	hdr := http.Header{"Content-Type": {"application/xml"}}
	_, _, _, _ = l.motoS3(ctx, akid, http.MethodPut, "/"+escapeKey(bucket)+"?ownershipControls", hdr, ownerEnforced)
}

func (l *Layer) createBucket(w http.ResponseWriter, c *call) {
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	existed := l.bucketExists(ctx, c)
	l.forward(w, c, func(resp *http.Response) error {
		if resp.StatusCode != http.StatusOK || existed {
			return nil
		}
		l.putMotoSSES3(ctx, c.akid, c.bucket)
		if c.r.Header.Get("X-Amz-Object-Ownership") == "" {
			l.putMotoOwnerEnforced(ctx, c.akid, c.bucket)
		}
		l.mu.Lock()
		l.st.createdHere[c.bucket] = true
		l.st.blocked[c.bucket] = []string{"SSE-C"}
		if c.id.Account != "" {
			l.st.owners[c.bucket] = c.id.Account
		}
		l.mu.Unlock()
		return nil
	})
}

func (l *Layer) deleteBucket(w http.ResponseWriter, c *call) {
	l.forward(w, c, func(resp *http.Response) error {
		if resp.StatusCode/100 != 2 {
			return nil
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.st.policies, c.bucket)
		delete(l.st.blocked, c.bucket)
		delete(l.st.createdHere, c.bucket)
		delete(l.st.owners, c.bucket)
		delete(l.st.replication, c.bucket)
		for k := range l.st.delayed {
			if b, _, _ := cutLast(k, "?"); b == c.bucket {
				delete(l.st.delayed, k)
			}
		}
		return nil
	})
}

func cutLast(s, sep string) (string, string, bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

func (l *Layer) getBucketEncryption(w http.ResponseWriter, c *call) {
	l.forward(w, c, func(resp *http.Response) error {
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxInspectedBody))
		resp.Body.Close()
		if err != nil {
			return err
		}
		status := resp.StatusCode
		if status == http.StatusNotFound && bytes.Contains(body, []byte("ServerSideEncryptionConfigurationNotFoundError")) {
			status, body = http.StatusOK, aes256Config
		}
		if status == http.StatusOK {
			l.mu.Lock()
			blocked, known := l.st.blocked[c.bucket]
			l.mu.Unlock()
			if known {
				body = withBlocked(body, blocked)
			}
		}
		setBody(resp, status, body)
		return nil
	})
}

// withBlocked sets every rule's BlockedEncryptionTypes (removing it when the list is empty).
func withBlocked(body []byte, blocked []string) []byte {
	var cfg sseConfig
	if xml.Unmarshal(body, &cfg) != nil {
		return body
	}
	cfg.Xmlns = s3Namespace
	for i := range cfg.Rules {
		cfg.Rules[i].Blocked = nil
		if len(blocked) > 0 {
			cfg.Rules[i].Blocked = &struct {
				Types []string `xml:"EncryptionType"`
			}{Types: blocked}
		}
	}
	out, err := xml.Marshal(cfg)
	if err != nil {
		return body
	}
	return append([]byte(xml.Header), out...)
}

func (l *Layer) putBucketEncryption(w http.ResponseWriter, c *call) {
	var cfg sseConfig
	if err := xml.Unmarshal(c.body, &cfg); err != nil || len(cfg.Rules) == 0 {
		writeS3Error(w, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
		return
	}
	var blocked []string
	for _, r := range cfg.Rules {
		if r.Blocked == nil {
			continue
		}
		if blocked == nil {
			blocked = []string{}
		}
		for _, t := range r.Blocked.Types {
			if t != "NONE" && t != "SSE-C" {
				writeS3Error(w, http.StatusBadRequest, "MalformedXML", "BlockedEncryptionTypes EncryptionType must be NONE or SSE-C, not "+strconv.Quote(t))
				return
			}
			blocked = append(blocked, t)
		}
	}
	l.forward(w, c, func(resp *http.Response) error {
		if resp.StatusCode/100 == 2 {
			l.mu.Lock()
			if blocked == nil {
				delete(l.st.blocked, c.bucket) // nothing written, nothing shown
			} else {
				l.st.blocked[c.bucket] = blocked
			}
			l.mu.Unlock()
		}
		return nil
	})
}

func (l *Layer) deleteBucketEncryption(w http.ResponseWriter, c *call) {
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	l.forward(w, c, func(resp *http.Response) error {
		if resp.StatusCode/100 != 2 {
			return nil
		}
		l.putMotoSSES3(ctx, c.akid, c.bucket)
		if c.r.Header.Get("X-Amz-Object-Ownership") == "" {
			l.putMotoOwnerEnforced(ctx, c.akid, c.bucket)
		}
		l.mu.Lock()
		if l.st.createdHere[c.bucket] {
			l.st.blocked[c.bucket] = []string{"SSE-C"}
		} else {
			delete(l.st.blocked, c.bucket)
		}
		l.mu.Unlock()
		return nil
	})
}

// sseCBlocked refuses (true) an SSE-C write to a bucket that blocks SSE-C.
func (l *Layer) sseCBlocked(w http.ResponseWriter, c *call) bool {
	switch c.op {
	case "PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart":
	default:
		return false
	}
	if c.r.Header.Get("X-Amz-Server-Side-Encryption-Customer-Algorithm") == "" {
		return false
	}
	l.mu.Lock()
	blocked := l.st.blocked[c.bucket]
	l.mu.Unlock()
	for _, t := range blocked {
		if t == "SSE-C" {
			writeS3Error(w, http.StatusForbidden, "AccessDenied", "Requests specifying server-side encryption with customer-provided keys (SSE-C) are blocked for this bucket (BlockedEncryptionTypes).")
			return true
		}
	}
	return false
}

// BlockedEncryptionTypes returns the encryption types a bucket blocks, as the layer holds them
// (nil for a bucket it knows nothing about).
func (l *Layer) BlockedEncryptionTypes(bucket string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.st.blocked[bucket]...)
}

// setBody replaces a response's status and body.
func setBody(resp *http.Response, status int, body []byte) {
	resp.StatusCode = status
	resp.Status = strconv.Itoa(status) + " " + http.StatusText(status)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Del("Content-Md5")
	resp.Header.Del("Transfer-Encoding")
	resp.TransferEncoding = nil
}
