package awstest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// enforcePolicy is sseguard's upload-enforcing pair of statements: deny an upload whose SSE
// headers are present and ask for another mode or key.
func enforcePolicy(bucket, keyARN string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
 {"Sid":"DenyWrongAlgorithm","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::%[1]s/*",
  "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"},"Null":{"s3:x-amz-server-side-encryption":"false"}}},
 {"Sid":"DenyWrongKey","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::%[1]s/*",
  "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"%[2]s"},"Null":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"false"}}}]}`, bucket, keyARN)
}

func tlsPolicy(bucket string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",
 "Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, bucket)
}

func putPolicy(c clients, bucket, policy string) error {
	_, err := c.s3.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)})
	return err
}

func put(c clients, bucket, key string, mod func(*s3.PutObjectInput)) error {
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("data")}
	if mod != nil {
		mod(in)
	}
	_, err := c.s3.PutObject(context.Background(), in)
	return err
}

func withKMS(key string) func(*s3.PutObjectInput) {
	return func(in *s3.PutObjectInput) {
		in.ServerSideEncryption = s3types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(key)
	}
}

// TestBucketPolicyConditionKeys: the layer judges uploads against a held bucket policy with S3's
// condition keys from the request; moto refuses every upload under the same conditional Deny.
func TestBucketPolicyConditionKeys(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	ctx := context.Background()
	keyARN := mustKey(t, layer, "")
	alias := "alias/" + unique("upload")
	if _, err := layer.kms.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	viaMoto, viaLayer := unique("pol-moto"), unique("pol-layer")
	mustBucket(t, moto, viaMoto)
	mustBucket(t, layer, viaLayer)
	if err := putPolicy(moto, viaMoto, enforcePolicy(viaMoto, keyARN)); err != nil {
		t.Fatalf("moto PutBucketPolicy: %v", err)
	}
	if err := putPolicy(layer, viaLayer, enforcePolicy(viaLayer, keyARN)); err != nil {
		t.Fatalf("layer PutBucketPolicy: %v", err)
	}

	// moto alone refuses even the upload that names the required key.
	if err := put(moto, viaMoto, "right", withKMS(keyARN)); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("moto alone: an upload with the required key: got %v, want moto's 403 (the difference this rule removes)", err)
	}

	tests := map[string]struct {
		mod  func(*s3.PutObjectInput)
		want string // "" allowed, else the error code
	}{
		"required key by ARN":                      {withKMS(keyARN), ""},
		"no encryption headers (bucket default)":   {nil, ""},
		"SSE-S3 asked":                             {func(in *s3.PutObjectInput) { in.ServerSideEncryption = s3types.ServerSideEncryptionAes256 }, "AccessDenied"},
		"required key by alias (raw header value)": {withKMS(alias), "AccessDenied"},
		"other key":                                {withKMS(mustKey(t, layer, "")), "AccessDenied"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := put(layer, viaLayer, unique("obj"), tc.mod)
			if got := errorCode(err); got != tc.want {
				t.Fatalf("through the layer: got %q (%v), want %q", got, err, tc.want)
			}
			if tc.want == "AccessDenied" && !strings.Contains(errorMessage(err), "explicit deny in a resource-based policy") {
				t.Errorf("AccessDenied message %q does not say an explicit deny in a resource-based policy refused it", errorMessage(err))
			}
		})
	}

	// The record names the statement that refused (AWS's message does not).
	named := false
	for _, a := range shared.Refused() {
		named = named || (strings.Contains(a.Resource, viaLayer) && strings.Contains(a.Reason, `"DenyWrongAlgorithm"`))
	}
	if !named {
		t.Errorf("no refused action for %s names the statement DenyWrongAlgorithm:\n%s", viaLayer, FormatActions(shared.Refused()))
	}

	// A multipart upload that names the key at CreateMultipartUpload: its UploadPart requests carry
	// no SSE headers and pass the Null guard.
	key := unique("mpu")
	cm, err := layer.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(viaLayer), Key: aws.String(key),
		ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(keyARN)})
	if err != nil {
		t.Fatal(err)
	}
	part, err := layer.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(viaLayer), Key: aws.String(key), UploadId: cm.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("part")})
	if err != nil {
		t.Fatalf("UploadPart under the enforcing policy: %v", err)
	}
	if _, err := layer.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(viaLayer), Key: aws.String(key), UploadId: cm.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}}); err != nil {
		t.Fatalf("CompleteMultipartUpload under the enforcing policy: %v", err)
	}
}

// TestBucketPolicySecureTransport: requests through the layer count as TLS by default (moto
// refuses every object request once a TLS-only Deny is stored); with PlainHTTP they are refused.
func TestBucketPolicySecureTransport(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	plain := newLayer(t, Options{PlainHTTP: true})
	plainC := clientsAt(plain.URL, "testing")
	viaMoto, viaLayer, viaPlain := unique("tls-moto"), unique("tls-layer"), unique("tls-plain")
	for _, s := range []struct {
		c clients
		b string
	}{{moto, viaMoto}, {layer, viaLayer}, {plainC, viaPlain}} {
		mustBucket(t, s.c, s.b)
		mustPut(t, s.c, s.b, "k", "x")
		if err := putPolicy(s.c, s.b, tlsPolicy(s.b)); err != nil {
			t.Fatal(err)
		}
	}
	get := func(c clients, b string) error {
		_, err := c.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
		return err
	}
	if err := get(moto, viaMoto); err == nil {
		t.Errorf("moto alone served an object under a TLS-only Deny over HTTP; this rule exists because it refuses")
	}
	if err := get(layer, viaLayer); err != nil {
		t.Errorf("through the layer (TLS by default): %v", err)
	}
	if err := get(plainC, viaPlain); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("through a PlainHTTP layer: got %v, want 403", err)
	}
	if err := put(plainC, viaPlain, "new", nil); errorCode(err) != "AccessDenied" {
		t.Errorf("upload through a PlainHTTP layer: got %v, want AccessDenied", err)
	}
}

// TestBucketPolicyValidation: PutBucketPolicy refuses what S3 refuses; moto stores it.
func TestBucketPolicyValidation(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	ctx := context.Background()
	bucket := unique("val")
	mustBucket(t, layer, bucket)
	role := unique("role")
	if _, err := layer.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trustAnyone)}); err != nil {
		t.Fatal(err)
	}
	stmt := func(principal string) string {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":%q},"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, principal, bucket)
	}
	big := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"%s","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, strings.Repeat("A", 21*1024), bucket)
	tests := map[string]struct {
		policy   string
		wantCode string
		wantMsg  string
	}{
		"empty statement list":       {`{"Version":"2012-10-17","Statement":[]}`, "MalformedPolicy", "Statement is empty"},
		"over 20 KB":                 {big, "PolicyTooLarge", "maximum allowed document size"},
		"role that does not exist":   {stmt("arn:aws:iam::123456789012:role/" + unique("missing")), "MalformedPolicy", "Invalid principal in policy"},
		"unique id":                  {stmt("AROAEXAMPLEEXAMPLE1234"), "MalformedPolicy", "Invalid principal in policy"},
		"resource of another bucket": {fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, unique("other")), "MalformedPolicy", "invalid resource"},
		"not JSON":                   {`Statement: []`, "MalformedPolicy", "valid JSON"},
		"existing role":              {stmt("arn:aws:iam::123456789012:role/" + role), "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := putPolicy(layer, bucket, tc.policy)
			if got := errorCode(err); got != tc.wantCode {
				t.Fatalf("layer: got %q (%v), want %q", got, err, tc.wantCode)
			}
			if !strings.Contains(errorMessage(err), tc.wantMsg) {
				t.Errorf("layer message %q does not contain %q", errorMessage(err), tc.wantMsg)
			}
		})
	}
	// moto alone stores an empty statement list and a principal that does not exist.
	mb := unique("val-moto")
	mustBucket(t, moto, mb)
	for _, p := range []string{`{"Version":"2012-10-17","Statement":[]}`, strings.ReplaceAll(stmt("arn:aws:iam::123456789012:role/"+unique("missing")), bucket, mb)} {
		if err := putPolicy(moto, mb, p); err != nil {
			t.Errorf("moto alone refused %s: %v (the rule exists because moto accepts it)", p, err)
		}
	}
}

// TestBucketPolicyGetDelete: the policy is answered as S3 does, NoSuchBucketPolicy when none.
func TestBucketPolicyGetDelete(t *testing.T) {
	t.Parallel()
	_, layer := both(shared, "testing")
	ctx := context.Background()
	bucket := unique("getdel")
	mustBucket(t, layer, bucket)
	get := func() (string, error) {
		out, err := layer.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Policy), nil
	}
	if _, err := get(); errorCode(err) != "NoSuchBucketPolicy" {
		t.Errorf("GetBucketPolicy with none: got %v, want NoSuchBucketPolicy", err)
	}
	policy := tlsPolicy(bucket)
	if err := putPolicy(layer, bucket, policy); err != nil {
		t.Fatal(err)
	}
	if got, err := get(); err != nil || got != policy {
		t.Errorf("GetBucketPolicy: got %q, %v; want the policy as written", got, err)
	}
	if shared.BucketPolicy(bucket) != policy {
		t.Errorf("BucketPolicy(%s) does not hold the policy", bucket)
	}
	if _, err := layer.s3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := get(); errorCode(err) != "NoSuchBucketPolicy" {
		t.Errorf("GetBucketPolicy after delete: got %v, want NoSuchBucketPolicy", err)
	}
	if err := putPolicy(layer, unique("nobucket"), policy); errorCode(err) != "NoSuchBucket" {
		t.Errorf("PutBucketPolicy on a missing bucket: got %v, want NoSuchBucket", err)
	}
}

const trustAnyone = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`

// TestBucketPolicyPrincipalConditions: aws:PrincipalArn and Principal match the caller as AWS
// does, including an assumed-role session of a role named in the policy.
func TestBucketPolicyPrincipalConditions(t *testing.T) {
	t.Parallel()
	_, layer := both(shared, "testing")
	ctx := context.Background()
	bucket, role := unique("princ"), unique("reader")
	mustBucket(t, layer, bucket)
	mustPut(t, layer, bucket, "k", "x")
	r, err := layer.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trustAnyone)})
	if err != nil {
		t.Fatal(err)
	}
	roleARN := aws.ToString(r.Role.Arn)
	ar, err := layer.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	session := clientsAt(shared.URL, aws.ToString(ar.Credentials.AccessKeyId))
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
 {"Sid":"DenyRoleByCondition","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%[1]s/*","Condition":{"ArnEquals":{"aws:PrincipalArn":%[2]q}}},
 {"Sid":"DenyAccountByCondition","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::%[1]s/*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}`, bucket, roleARN)
	if err := putPolicy(layer, bucket, policy); err != nil {
		t.Fatal(err)
	}
	head := func(c clients) error {
		_, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
		return err
	}
	if err := head(session); errorCode(err) != "AccessDenied" {
		t.Errorf("GetObject by a session of the denied role: got %v, want AccessDenied", err)
	}
	if err := head(layer); err != nil {
		t.Errorf("GetObject by another caller: %v", err)
	}
	if err := put(session, bucket, "new", nil); err != nil {
		t.Errorf("PutObject by a caller of account 123456789012 (the Deny names 111122223333): %v", err)
	}
}

// TestBucketPolicyGuardsItself: a bucket policy that denies PutBucketPolicy and
// DeleteBucketPolicy refuses them to every principal but the bucket owner account's root user
// ("PutBucketPolicy", https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html);
// moto applies bucket policies to object requests only and lets both through. (The layer spared
// every caller until the independent judge, judge_test.go, showed AWS refusing a role.)
func TestBucketPolicyGuardsItself(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	guard := func(bucket string) string {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"NoPolicyChanges","Effect":"Deny","Principal":"*",
 "Action":["s3:PutBucketPolicy","s3:DeleteBucketPolicy"],"Resource":"arn:aws:s3:::%s"}]}`, bucket)
	}
	viaMoto, viaLayer := unique("guard-moto"), unique("guard-layer")
	for _, s := range []struct {
		c clients
		b string
	}{{moto, viaMoto}, {layer, viaLayer}} {
		mustBucket(t, s.c, s.b)
		if err := putPolicy(s.c, s.b, guard(s.b)); err != nil {
			t.Fatal(err)
		}
	}
	if err := putPolicy(moto, viaMoto, tlsPolicy(viaMoto)); err != nil {
		t.Errorf("moto alone: replacing a policy that denies it: %v, want it let through (moto differs from S3)", err)
	}
	if err := putPolicy(layer, viaLayer, tlsPolicy(viaLayer)); errorCode(err) != "AccessDenied" {
		t.Errorf("through the layer, replacing a policy that denies it: got %v, want AccessDenied", err)
	}
	_, err := layer.s3.DeleteBucketPolicy(context.Background(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(viaLayer)})
	if errorCode(err) != "AccessDenied" {
		t.Errorf("through the layer, deleting a policy that denies it: got %v, want AccessDenied", err)
	}
}
