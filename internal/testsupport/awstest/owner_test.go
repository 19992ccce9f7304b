package awstest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Rule 8: S3 refuses a request whose expected bucket owner is another account; moto ignores it.
func TestExpectedBucketOwner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	moto, lay := both(shared, "AKIAOWNERTEST")
	bucket := unique("owner")
	mustBucket(t, lay, bucket)
	mustPut(t, lay, bucket, "k", "x")
	for name, c := range map[string]clients{"moto": moto, "layer": lay} {
		_, wrong := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), ExpectedBucketOwner: aws.String("999988887777")})
		_, right := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), ExpectedBucketOwner: aws.String("123456789012")})
		_, wrongSrc := c.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("k2"), CopySource: aws.String(bucket + "/k"),
			ExpectedBucketOwner: aws.String("123456789012"), ExpectedSourceBucketOwner: aws.String("999988887777")})
		switch name {
		case "moto":
			if wrong != nil && wrongSrc != nil {
				t.Errorf("moto alone refuses a wrong expected owner (%v, %v): the rule is no longer needed", wrong, wrongSrc)
			}
		case "layer":
			if right != nil {
				t.Errorf("layer: the right owner was refused: %v", right)
			}
			if wrong == nil || wrongSrc == nil {
				t.Errorf("layer: a wrong expected owner was accepted (head %v, copy source %v)", wrong, wrongSrc)
			}
		}
	}
}

// Rule 9: a copy that does not send the website redirect again drops it (AWS); moto keeps it.
func TestCopyDropsWebsiteRedirect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	moto, lay := both(shared, "AKIAREDIRECTTEST")
	bucket := unique("redirect")
	mustBucket(t, lay, bucket)
	redirect := func(c clients, key string) string {
		h, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(h.WebsiteRedirectLocation)
	}
	for _, key := range []string{"plain", "resent", "via-moto"} {
		mustPut(t, lay, bucket, key, "x", func(in *s3.PutObjectInput) { in.WebsiteRedirectLocation = aws.String("/elsewhere") })
	}
	in := func(key string) *s3.CopyObjectInput {
		return &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), CopySource: aws.String(bucket + "/" + key),
			MetadataDirective: "COPY", ServerSideEncryption: "AES256"}
	}
	if _, err := lay.s3.CopyObject(ctx, in("plain")); err != nil {
		t.Fatal(err)
	}
	resent := in("resent")
	resent.WebsiteRedirectLocation = aws.String("/elsewhere")
	if _, err := lay.s3.CopyObject(ctx, resent); err != nil {
		t.Fatal(err)
	}
	if _, err := moto.s3.CopyObject(ctx, in("via-moto")); err != nil {
		t.Fatal(err)
	}
	if got := redirect(moto, "via-moto"); got != "/elsewhere" {
		t.Errorf("moto alone: redirect %q after a copy, want it kept (the difference the rule exists for)", got)
	}
	if got := redirect(lay, "plain"); got != "" {
		t.Errorf("layer: redirect %q kept by a copy that did not send it again", got)
	}
	if got := redirect(lay, "resent"); got != "/elsewhere" {
		t.Errorf("layer: redirect %q after a copy that sent it again", got)
	}
	// Written again with a redirect, the object shows it.
	mustPut(t, lay, bucket, "plain", "y", func(in *s3.PutObjectInput) { in.WebsiteRedirectLocation = aws.String("/back") })
	if got := redirect(lay, "plain"); got != "/back" {
		t.Errorf("layer: redirect %q after a new upload, want /back", got)
	}
}

// New buckets have ACLs disabled (Object Ownership BucketOwnerEnforced) in AWS; moto leaves them
// without ownership controls.
func TestNewBucketsHaveACLsDisabled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	moto, lay := both(shared, "AKIAOWNERSHIP")
	viaLayer, viaMoto := unique("acl-off"), unique("acl-moto")
	mustBucket(t, lay, viaLayer)
	mustBucket(t, moto, viaMoto)
	if _, err := moto.s3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(viaMoto)}); err == nil {
		t.Errorf("moto alone now sets ownership controls on new buckets: the rule is no longer needed")
	}
	out, err := lay.s3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(viaLayer)})
	if err != nil || out.OwnershipControls == nil || len(out.OwnershipControls.Rules) != 1 || out.OwnershipControls.Rules[0].ObjectOwnership != "BucketOwnerEnforced" {
		t.Errorf("a new bucket through the layer: ownership %+v (%v), want BucketOwnerEnforced", out, err)
	}
}

// Rule 10: ListObjectVersions with encoding-type=url answers encoded keys; moto sends them raw.
func TestVersionListingsEncodeKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	moto, lay := both(shared, "AKIAVERSIONS")
	bucket := unique("versions")
	mustBucket(t, lay, bucket)
	if _, err := lay.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: "Enabled"}}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ctl\x01key", "a b+c", "plain"} {
		mustPut(t, lay, bucket, k, "x")
	}
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), EncodingType: s3types.EncodingTypeUrl}
	if _, err := moto.s3.ListObjectVersions(ctx, in); err == nil {
		t.Errorf("moto alone answered a listing with a control character the SDK could parse: the rule is no longer needed")
	}
	out, err := lay.s3.ListObjectVersions(ctx, in)
	if err != nil {
		t.Fatalf("through the layer: %v", err)
	}
	got := map[string]bool{}
	for _, v := range out.Versions {
		got[aws.ToString(v.Key)] = true
	}
	if out.EncodingType != s3types.EncodingTypeUrl || !got["ctl%01key"] || !got["a%20b%2Bc"] || !got["plain"] {
		t.Errorf("encoding %q, keys %v", out.EncodingType, got)
	}
}
