package awstest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIAndBoto3PassThrough shows the AWS CLI and boto3 work through the layer as they do against
// moto: small and multipart uploads (the CLI and boto3 send aws-chunked bodies with trailing
// checksums), downloads, KMS, STS and IAM calls.
func TestCLIAndBoto3PassThrough(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"aws", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required for this test (install the AWS CLI and boto3: pip install awscli boto3): %v", tool, err)
		}
	}
	env := shared.Env()
	bucket := unique("cli")
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(small, []byte("hello through the layer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 6<<20) // two parts with the 5 MiB thresholds below
	_, _ = rand.Read(data)
	if err := os.WriteFile(big, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	config := filepath.Join(dir, "config")
	if err := os.WriteFile(config, []byte("[default]\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(env, "AWS_CONFIG_FILE="+config)
	mustBucket(t, clientsAt(shared.URL, "testing"), bucket)
	runTool(t, env, "aws", "s3api", "put-object", "--bucket", bucket, "--key", "small.txt", "--body", small)
	runTool(t, env, "aws", "s3", "cp", big, "s3://"+bucket+"/cli-big.bin")
	head := runTool(t, env, "aws", "s3api", "head-object", "--bucket", bucket, "--key", "small.txt")
	if !strings.Contains(head, `"ServerSideEncryption": "AES256"`) {
		t.Errorf("head-object through the layer: want SSE-S3 as every new object in AWS, got %s", head)
	}

	script := `
import boto3, boto3.s3.transfer, hashlib, io, json, sys
s3 = boto3.client("s3")
bucket, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
cfg = boto3.s3.transfer.TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20)
s3.upload_fileobj(io.BytesIO(data), bucket, "boto3-big.bin", Config=cfg)
s3.put_object(Bucket=bucket, Key="boto3-small.txt", Body=b"small from boto3")
out = {}
for key in ["cli-big.bin", "boto3-big.bin"]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    out[key] = hashlib.sha256(body).hexdigest()
out["small"] = s3.get_object(Bucket=bucket, Key="boto3-small.txt")["Body"].read().decode()
kms = boto3.client("kms")
key = kms.create_key()["KeyMetadata"]["KeyId"]
out["key"] = kms.describe_key(KeyId=key)["KeyMetadata"]["KeyId"] == key
out["account"] = boto3.client("sts").get_caller_identity()["Account"]
iam = boto3.client("iam")
iam.create_role(RoleName=bucket, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
out["role"] = iam.get_role(RoleName=bucket)["Role"]["RoleName"]
print(json.dumps(out))
`
	var got struct {
		CLIBig   string `json:"cli-big.bin"`
		Boto3Big string `json:"boto3-big.bin"`
		Small    string `json:"small"`
		Key      bool   `json:"key"`
		Account  string `json:"account"`
		Role     string `json:"role"`
	}
	out := runTool(t, env, "python3", "-c", script, bucket, big)
	if err := json.Unmarshal(bytes.TrimSpace([]byte(out)), &got); err != nil {
		t.Fatalf("boto3 script output %q: %v", out, err)
	}
	want := hex.EncodeToString(sum[:])
	if got.CLIBig != want || got.Boto3Big != want {
		t.Errorf("multipart uploads through the layer changed the data: CLI %s, boto3 %s, want %s", got.CLIBig, got.Boto3Big, want)
	}
	if got.Small != "small from boto3" || !got.Key || got.Account != "123456789012" || got.Role != bucket {
		t.Errorf("boto3 through the layer: got %+v", got)
	}
	counts := shared.Counts()
	for _, op := range []string{"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "kms:CreateKey", "sts:GetCallerIdentity", "iam:CreateRole"} {
		if counts[op] == 0 {
			t.Errorf("the layer did not count %s: %s", op, FormatCounts(counts))
		}
	}
}
