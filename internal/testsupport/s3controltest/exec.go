package s3controltest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3 is what a job's work needs of S3 (the SDK's own signatures; *s3.Client satisfies it).
type S3 interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	CopyObject(ctx context.Context, in *s3.CopyObjectInput, optFns ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	UpdateObjectEncryption(ctx context.Context, in *s3.UpdateObjectEncryptionInput, optFns ...func(*s3.Options)) (*s3.UpdateObjectEncryptionOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ S3 = (*s3.Client)(nil)

// Task is one object of a job's generated manifest and what became of it.
type Task struct {
	Bucket, Key string
	// Status is "succeeded", "failed", or "" before the job runs.
	Status string
	// ErrorCode, HTTPStatus and Message describe a failure, as the completion report does.
	ErrorCode  string
	HTTPStatus int
	Message    string
}

func (j *Job) counts() (succeeded, failed int64) {
	for _, t := range j.Tasks {
		switch t.Status {
		case "succeeded":
			succeeded++
		case "failed":
			failed++
		}
	}
	return succeeded, failed
}

type executor struct{ api S3 }

const execTimeout = 2 * time.Minute

// bucketOf is the bucket name of an S3 bucket ARN (arn:partition:s3:::name).
func bucketOf(arn string) string {
	if i := strings.LastIndex(arn, ":"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// prepare generates the job's manifest as S3JobManifestGenerator does: the source bucket's current
// objects that pass every member of the filter. A manifest the generator cannot read ends the job
// Failed with the reason. Only S3JobManifestGenerator jobs are run.
func (e *executor) prepare(j *Job) {
	g := j.Request.ManifestGenerator
	if g == nil || g.S3 == nil {
		j.Status = StatusFailed
		j.FailureReasons = append(j.FailureReasons, failureReason{FailureCode: "ManifestNotSupported", FailureReason: "the stand-in runs only jobs with a manifest generator"})
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	gen := g.S3
	bucket := bucketOf(trimmed(gen.SourceBucket))
	owner := gen.ExpectedBucketOwner
	prefixes := gen.Filter.MatchAnyPrefix()
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	seen := map[string]bool{}
	for _, p := range prefixes {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ExpectedBucketOwner: owner}
		if p != "" {
			in.Prefix = aws.String(p)
		}
		pages := s3.NewListObjectsV2Paginator(e.api, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				j.Status = StatusFailed
				j.FailureReasons = append(j.FailureReasons, failureReason{FailureCode: "ManifestGenerationFailed", FailureReason: truncate(err.Error(), 256)})
				return
			}
			for _, o := range page.Contents {
				key := aws.ToString(o.Key)
				if seen[key] {
					continue
				}
				seen[key] = true
				h, err := e.api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ExpectedBucketOwner: owner})
				sseC := false
				if err != nil {
					var re *smithyhttp.ResponseError
					if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
						continue // gone, or unreadable: not in the manifest
					}
					sseC = true // S3 refuses to HEAD an SSE-C object without its key
					h = &s3.HeadObjectOutput{ContentLength: o.Size, LastModified: o.LastModified, StorageClass: types.StorageClass(o.StorageClass)}
				}
				if matches(gen.Filter, key, h, sseC) {
					j.Tasks = append(j.Tasks, Task{Bucket: bucket, Key: key})
				}
			}
		}
	}
	j.Total = int64(len(j.Tasks))
}

// matches applies JobManifestGeneratorFilter to one object.
func matches(f *Filter, key string, h *s3.HeadObjectOutput, sseC bool) bool {
	if f == nil {
		return true
	}
	created := aws.ToTime(h.LastModified)
	before := func(v *string, fn func(t time.Time) bool) bool {
		if v == nil {
			return true
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*v))
		return err == nil && fn(t)
	}
	if !before(f.CreatedBefore, created.Before) || !before(f.CreatedAfter, created.After) {
		return false
	}
	size := aws.ToInt64(h.ContentLength)
	if f.ObjectSizeLessThanBytes != nil && size >= *f.ObjectSizeLessThanBytes || f.ObjectSizeGreaterThanBytes != nil && size <= *f.ObjectSizeGreaterThanBytes {
		return false
	}
	class := string(h.StorageClass)
	if class == "" {
		class = "STANDARD"
	}
	if classes := f.MatchAnyStorageClass.Values(); f.MatchAnyStorageClass != nil && !slices.Contains(classes, class) {
		return false
	}
	if c := f.KeyNameConstraint; c != nil {
		any := func(list []string, fn func(string, string) bool) bool {
			if len(list) == 0 {
				return true
			}
			for _, s := range list {
				if fn(key, s) {
					return true
				}
			}
			return false
		}
		if !any(c.MatchAnyPrefix.Values(), strings.HasPrefix) || !any(c.MatchAnySuffix.Values(), strings.HasSuffix) || !any(c.MatchAnySubstring.Values(), strings.Contains) {
			return false
		}
	}
	// MatchAnyObjectEncryption: an object of any of the kinds listed.
	kinds := f.Encryption.Kinds()
	if len(kinds) == 0 {
		return !sseC
	}
	for _, k := range kinds {
		var ok bool
		switch {
		case k.SSEC != nil:
			ok = sseC
		case sseC:
			ok = false
		case k.NotSSE != nil:
			ok = h.ServerSideEncryption == ""
		case k.SSES3 != nil:
			ok = h.ServerSideEncryption == types.ServerSideEncryptionAes256
		case k.DSSE != nil:
			ok = h.ServerSideEncryption == types.ServerSideEncryptionAwsKmsDsse &&
				(k.DSSE.KmsKeyArn == nil || *k.DSSE.KmsKeyArn == aws.ToString(h.SSEKMSKeyId))
		case k.SSEKMS != nil:
			ok = h.ServerSideEncryption == types.ServerSideEncryptionAwsKms &&
				(k.SSEKMS.KmsKeyArn == nil || *k.SSEKMS.KmsKeyArn == aws.ToString(h.SSEKMSKeyId)) &&
				(k.SSEKMS.BucketKeyEnabled == nil || *k.SSEKMS.BucketKeyEnabled == aws.ToBool(h.BucketKeyEnabled))
		}
		if ok {
			return true
		}
	}
	return false
}

// run does the job's operation on every task's object.
func (e *executor) run(j *Job) {
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	op := j.Request.Operation
	for i := range j.Tasks {
		t := &j.Tasks[i]
		var err error
		switch {
		case op.S3PutObjectCopy != nil:
			in := copyInput(op.S3PutObjectCopy, t.Bucket, t.Key)
			if in.SSEKMSKeyId != nil && in.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
				// CopyObject documents x-amz-server-side-encryption-aws-kms-key-id only with
				// x-amz-server-side-encryption: aws:kms
				// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html); S3 answers a
				// key alone with 400 InvalidArgument. CreateJob does not check it: each task fails.
				err = &smithy.GenericAPIError{Code: "InvalidArgument", Fault: smithy.FaultClient,
					Message: "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"}
				break
			}
			_, err = e.api.CopyObject(ctx, in)
		case op.S3UpdateObjectEncryption != nil:
			kms := op.S3UpdateObjectEncryption.ObjectEncryption.SSEKMS
			_, err = e.api.UpdateObjectEncryption(ctx, &s3.UpdateObjectEncryptionInput{Bucket: aws.String(t.Bucket), Key: aws.String(t.Key),
				ObjectEncryption: &types.ObjectEncryptionMemberSSEKMS{Value: types.SSEKMSEncryption{KMSKeyArn: kms.KMSKeyArn, BucketKeyEnabled: kms.BucketKeyEnabled}}})
		default:
			err = fmt.Errorf("the stand-in does not run %v", op.Names())
		}
		if err == nil {
			t.Status = "succeeded"
			continue
		}
		t.Status, t.ErrorCode, t.HTTPStatus, t.Message = "failed", "UnknownError", 0, truncate(err.Error(), 1024)
		var ae smithy.APIError
		if errors.As(err, &ae) {
			t.ErrorCode, t.Message = ae.ErrorCode(), ae.ErrorMessage()
		}
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) {
			t.HTTPStatus = re.HTTPStatusCode()
		} else if ae != nil && ae.ErrorFault() == smithy.FaultClient {
			t.HTTPStatus = 400 // refused by the stand-in itself, as S3 would
		}
	}
}

// copyInput is the CopyObject a task sends: "S3 Batch Operations passes every object to the
// underlying CopyObject API operation" with the operation's parameters
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_S3CopyObjectOperation.html).
// What the operation leaves out, the copy leaves out too: no x-amz-storage-class (the copy is
// STANDARD), no ACL (private), no website redirect (dropped); NewObjectTagging absent copies the
// source's tags, present replaces them.
func copyInput(c *PutObjectCopy, bucket, key string) *s3.CopyObjectInput {
	target := bucketOf(trimmed(c.TargetResource))
	in := &s3.CopyObjectInput{
		Bucket: aws.String(target), Key: aws.String(trimmed(c.TargetKeyPrefix) + key),
		CopySource:                aws.String(url.PathEscape(bucket) + "/" + strings.ReplaceAll(url.PathEscape(key), "%2F", "/")),
		MetadataDirective:         types.MetadataDirective(trimmed(c.MetadataDirective)),
		StorageClass:              types.StorageClass(trimmed(c.StorageClass)),
		ACL:                       types.ObjectCannedACL(trimmed(c.CannedAccessControlList)),
		WebsiteRedirectLocation:   c.RedirectLocation,
		SSEKMSKeyId:               c.SSEAwsKmsKeyID,
		BucketKeyEnabled:          c.BucketKeyEnabled,
		ChecksumAlgorithm:         types.ChecksumAlgorithm(trimmed(c.ChecksumAlgorithm)),
		ObjectLockMode:            types.ObjectLockMode(trimmed(c.ObjectLockMode)),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatus(trimmed(c.ObjectLockLegalHoldStatus)),
	}
	if c.RequesterPays != nil && *c.RequesterPays {
		in.RequestPayer = types.RequestPayerRequester
	}
	if t, ok := parseTime(c.ObjectLockRetainUntilDate); ok {
		in.ObjectLockRetainUntilDate = &t
	}
	if t, ok := parseTime(c.ModifiedSinceConstraint); ok {
		in.CopySourceIfModifiedSince = &t
	}
	if t, ok := parseTime(c.UnModifiedSinceConstraint); ok {
		in.CopySourceIfUnmodifiedSince = &t
	}
	if m := c.NewObjectMetadata; m != nil {
		switch trimmed(m.SSEAlgorithm) {
		case "AES256":
			in.ServerSideEncryption = types.ServerSideEncryptionAes256
		case "KMS":
			in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		}
		in.CacheControl, in.ContentDisposition, in.ContentEncoding = m.CacheControl, m.ContentDisposition, m.ContentEncoding
		in.ContentLanguage, in.ContentType = m.ContentLanguage, m.ContentType
		if t, ok := parseTime(m.HttpExpiresDate); ok {
			in.Expires = &t
		}
		if m.UserMetadata != nil {
			in.Metadata = map[string]string{}
			for _, e := range m.UserMetadata.Entries {
				in.Metadata[e.Key] = e.Value
			}
		}
	}
	if c.NewObjectTagging != nil {
		in.TaggingDirective = types.TaggingDirectiveReplace
		v := url.Values{}
		for _, t := range c.NewObjectTagging.Members {
			v.Add(t.Key, t.Value)
		}
		in.Tagging = aws.String(v.Encode())
	} else {
		in.TaggingDirective = types.TaggingDirectiveCopy
	}
	if c.AccessControlGrants != nil {
		grants := map[string][]string{}
		for _, g := range c.AccessControlGrants.Members {
			if g.Grantee == nil || g.Permission == nil {
				continue
			}
			kind := map[string]string{"id": "id", "emailAddress": "emailAddress", "uri": "uri"}[trimmed(g.Grantee.TypeIdentifier)]
			grants[*g.Permission] = append(grants[*g.Permission], fmt.Sprintf("%s=%q", kind, trimmed(g.Grantee.Identifier)))
		}
		join := func(p string) *string {
			if len(grants[p]) == 0 {
				return nil
			}
			return aws.String(strings.Join(grants[p], ", "))
		}
		in.GrantFullControl, in.GrantRead, in.GrantReadACP, in.GrantWriteACP = join("FULL_CONTROL"), join("READ"), join("READ_ACP"), join("WRITE_ACP")
	}
	return in
}

func parseTime(v *string) (time.Time, bool) {
	if v == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(*v))
	return t, err == nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// report writes the job's completion report as "Examples: S3 Batch Operations completion
// reports" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-reports.html)
// shows it: <prefix>/job-<id>/manifest.json naming each results file with its MD5, and
// <prefix>/job-<id>/results/<name>.csv with the columns of ReportSchema, no header row, one
// file for the succeeded tasks and one for the failed ones. "As long as at least one task has
// been invoked successfully, S3 Batch Operations generates a report". FailedTasksOnly writes the
// failed tasks alone.
func (e *executor) report(j *Job, at time.Time) {
	r := j.Request.Report
	if r == nil || r.Enabled == nil || !*r.Enabled || len(j.Tasks) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	bucket := bucketOf(trimmed(r.Bucket))
	base := "job-" + j.ID
	if p := strings.TrimSuffix(trimmed(r.Prefix), "/"); p != "" {
		base = p + "/" + base
	}
	type result struct {
		TaskExecutionStatus, Bucket, MD5Checksum, Key string
	}
	manifest := struct {
		Format             string
		ReportCreationDate string
		Results            []result
		ReportSchema       string
	}{Format: "Report_CSV_20180820", ReportCreationDate: at.UTC().Format("2006-01-02T15:04:05.000Z"),
		ReportSchema: "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"}
	for _, status := range []string{"succeeded", "failed"} {
		if status == "succeeded" && trimmed(r.ReportScope) == "FailedTasksOnly" {
			continue
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		for _, t := range j.Tasks {
			if t.Status != status {
				continue
			}
			code, msg := t.ErrorCode, t.Message
			if status == "succeeded" {
				code, msg = "200", "Successful"
			}
			_ = w.Write([]string{t.Bucket, t.Key, "", status, code, fmt.Sprint(t.HTTPStatus), msg})
		}
		w.Flush()
		if buf.Len() == 0 {
			continue
		}
		sum := sha1.Sum(append([]byte(j.ID+status), buf.Bytes()...))
		key := base + "/results/" + hex.EncodeToString(sum[:]) + ".csv"
		if e.put(ctx, bucket, key, buf.Bytes(), r.ExpectedBucketOwner) != nil {
			return
		}
		md := md5.Sum(buf.Bytes())
		manifest.Results = append(manifest.Results, result{TaskExecutionStatus: status, Bucket: bucket, MD5Checksum: hex.EncodeToString(md[:]), Key: key})
		j.ReportKeys = append(j.ReportKeys, key)
	}
	b, _ := json.Marshal(manifest)
	if e.put(ctx, bucket, base+"/manifest.json", b, r.ExpectedBucketOwner) == nil {
		j.ReportKeys = append(j.ReportKeys, base+"/manifest.json")
	}
}

func (e *executor) put(ctx context.Context, bucket, key string, body []byte, owner *string) error {
	_, err := e.api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), ExpectedBucketOwner: owner})
	return err
}
