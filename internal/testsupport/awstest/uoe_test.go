package awstest

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
)

func uoe(c clients, bucket, key, keyARN string) error {
	_, err := c.s3.UpdateObjectEncryption(context.Background(), &s3.UpdateObjectEncryptionInput{
		Bucket: aws.String(bucket), Key: aws.String(key),
		ObjectEncryption: &s3types.ObjectEncryptionMemberSSEKMS{Value: s3types.SSEKMSEncryption{KMSKeyArn: aws.String(keyARN), BucketKeyEnabled: aws.Bool(true)}},
	})
	return err
}

type objectView struct {
	Body, ETag, LastModified, SSE, KMSKey string
	Size                                  int64
	Metadata                              map[string]string
	Tags                                  map[string]string
}

func view(t *testing.T, c clients, bucket, key string) objectView {
	t.Helper()
	ctx := context.Background()
	out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	tags, err := c.s3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	v := objectView{Body: string(body), ETag: aws.ToString(out.ETag), LastModified: out.LastModified.UTC().Format(time.RFC3339),
		SSE: string(out.ServerSideEncryption), KMSKey: aws.ToString(out.SSEKMSKeyId), Size: aws.ToInt64(out.ContentLength), Metadata: out.Metadata, Tags: map[string]string{}}
	for _, tg := range tags.TagSet {
		v.Tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	return v
}

// TestUpdateObjectEncryption: the layer changes the encryption and keeps bytes, ETag,
// Last-Modified, metadata and tags; moto alone overwrites the object with the request's XML.
func TestUpdateObjectEncryption(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	keyARN := mustKey(t, layer, "")
	bucket := unique("uoe")
	mustBucket(t, layer, bucket)
	withMeta := func(in *s3.PutObjectInput) {
		in.Metadata = map[string]string{"owner": "media"}
		in.Tagging = aws.String("team=video")
	}
	mustPut(t, layer, bucket, "viaMoto", "original bytes", withMeta)
	mustPut(t, layer, bucket, "viaLayer", "original bytes", withMeta)
	before := view(t, layer, bucket, "viaLayer")
	time.Sleep(1100 * time.Millisecond) // Last-Modified has a one-second resolution

	if err := uoe(moto, bucket, "viaMoto", keyARN); err != nil {
		t.Fatalf("moto alone: %v", err)
	}
	if got := view(t, moto, bucket, "viaMoto"); got.Body == "original bytes" {
		t.Errorf("moto alone kept the object; the rule exists because moto overwrites it with the request XML")
	}

	if err := uoe(layer, bucket, "viaLayer", keyARN); err != nil {
		t.Fatalf("through the layer: %v", err)
	}
	after := view(t, layer, bucket, "viaLayer")
	want := before
	want.SSE, want.KMSKey = "aws:kms", keyARN
	if diff := cmp.Diff(want, after); diff != "" {
		t.Errorf("after UpdateObjectEncryption (-want +got):\n%s", diff)
	}
	list, err := layer.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("viaLayer")})
	if err != nil || len(list.Contents) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	if o := list.Contents[0]; aws.ToString(o.ETag) != before.ETag || o.LastModified.UTC().Format(time.RFC3339) != before.LastModified {
		t.Errorf("listing after UpdateObjectEncryption: ETag %s LastModified %s, want %s %s", aws.ToString(o.ETag), o.LastModified.UTC().Format(time.RFC3339), before.ETag, before.LastModified)
	}
	// A conditional copy with the kept ETag still matches.
	if _, err := layer.s3.CopyObject(context.Background(), &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("copy"),
		CopySource: aws.String(bucket + "/viaLayer"), CopySourceIfMatch: aws.String(before.ETag)}); err != nil {
		t.Errorf("copy with the kept ETag as x-amz-copy-source-if-match: %v", err)
	}
}

// TestUpdateObjectEncryptionRefusals: what the documentation says UpdateObjectEncryption refuses.
func TestUpdateObjectEncryptionRefusals(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	keyARN := mustKey(t, layer, "")
	bucket, plainBucket := unique("uoe-ref"), unique("uoe-plain")
	mustBucket(t, layer, bucket)
	mustBucket(t, moto, plainBucket) // created in moto: no default encryption, objects unencrypted
	mustPut(t, layer, bucket, "k", "x")
	mustPut(t, moto, plainBucket, "k", "x")
	keyID := keyARN[strings.LastIndex(keyARN, "/")+1:]
	tests := map[string]struct {
		bucket, key, keyARN string
		want, msg           string
	}{
		"unencrypted source":      {plainBucket, "k", keyARN, "InvalidRequest", "unencrypted source"},
		"key id instead of ARN":   {bucket, "k", keyID, "InvalidRequest", "valid AWS KMS key Amazon Resource Name"},
		"key of another account":  {bucket, "k", strings.Replace(keyARN, "123456789012", "111122223333", 1), "AccessDenied", "same account as the bucket"},
		"key that does not exist": {bucket, "k", strings.Replace(keyARN, keyID, "00000000-0000-0000-0000-000000000000", 1), "KMS.NotFoundException", ""},
		"missing object":          {bucket, "missing", keyARN, "NoSuchKey", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := uoe(layer, tc.bucket, tc.key, tc.keyARN)
			if got := errorCode(err); got != tc.want {
				t.Fatalf("got %q (%v), want %q", got, err, tc.want)
			}
			if !strings.Contains(errorMessage(err), tc.msg) {
				t.Errorf("message %q does not contain %q", errorMessage(err), tc.msg)
			}
		})
	}
}

// TestUpdateObjectEncryptionModes: the switches for tests — refuse it, not implement it, or pass
// it to moto — and the IAM check of the actions it needs.
func TestUpdateObjectEncryptionModes(t *testing.T) {
	t.Parallel()
	_, layer := both(shared, "testing")
	keyARN := mustKey(t, layer, "")
	bucket := unique("uoe-mode")
	mustBucket(t, layer, bucket)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		mustPut(t, layer, bucket, k, "bytes of "+k)
	}

	denied := newLayer(t, Options{})
	denied.DenyUpdateObjectEncryption(true)
	if err := uoe(clientsAt(denied.URL, "testing"), bucket, "a", keyARN); errorCode(err) != "AccessDenied" {
		t.Errorf("DenyUpdateObjectEncryption: got %v, want AccessDenied", err)
	}
	notImpl := newLayer(t, Options{UpdateObjectEncryption: UOENotImplemented})
	if err := uoe(clientsAt(notImpl.URL, "testing"), bucket, "a", keyARN); errorCode(err) != "NotImplemented" {
		t.Errorf("UOENotImplemented: got %v, want NotImplemented", err)
	}
	pass := newLayer(t, Options{UpdateObjectEncryption: UOEPassThrough})
	if err := uoe(clientsAt(pass.URL, "testing"), bucket, "b", keyARN); err != nil {
		t.Errorf("UOEPassThrough: %v", err)
	}
	if v := view(t, layer, bucket, "b"); v.Body == "bytes of b" {
		t.Errorf("UOEPassThrough kept the object; moto overwrites it")
	}

	checked := newLayer(t, Options{})
	s3Only := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	noKMSReEncrypt := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],"Resource":"*"}]}`
	full := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:UpdateObjectEncryption","s3:GetObject","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey","kms:ReEncrypt*"],"Resource":"*"}]}`
	noUOE := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject","kms:*"],"Resource":"*"}]}`
	tests := []struct {
		name, akid, policy, object, want, action string
	}{
		{"no KMS permissions", "AKIAUOES3ONLY", s3Only, "c", "AccessDenied", "kms:Encrypt"},
		{"no kms:ReEncryptTo", "AKIAUOENOREENC", noKMSReEncrypt, "c", "AccessDenied", "kms:ReEncryptTo"},
		{"no s3:UpdateObjectEncryption", "AKIAUOENOUOE", noUOE, "c", "AccessDenied", "s3:UpdateObjectEncryption"},
		{"everything it needs", "AKIAUOEFULL", full, "d", "", ""},
	}
	for _, tc := range tests {
		if err := checked.SetIdentityPolicy(tc.akid, tc.policy); err != nil {
			t.Fatal(err)
		}
		err := uoe(clientsAt(checked.URL, tc.akid), bucket, tc.object, keyARN)
		if got := errorCode(err); got != tc.want {
			t.Errorf("%s: got %q (%v), want %q", tc.name, got, err, tc.want)
		}
		if tc.action != "" && !strings.Contains(errorMessage(err), tc.action) {
			t.Errorf("%s: message %q does not name %s", tc.name, errorMessage(err), tc.action)
		}
	}
	refused := map[string]bool{}
	for _, a := range checked.Refused() {
		refused[a.AccessKeyID] = true
	}
	if want := map[string]bool{"AKIAUOES3ONLY": true, "AKIAUOENOREENC": true, "AKIAUOENOUOE": true}; !cmp.Equal(refused, want) {
		t.Errorf("access keys with refused actions: %v, want %v\n%s", refused, want, FormatActions(checked.Refused()))
	}
}
