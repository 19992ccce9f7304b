package e2etest

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

const (
	cfDistA = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD632BHDS5"
	cfDistB = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
	// cfDistOthers is the distribution of a statement someone else wrote by hand.
	cfDistOthers = "arn:aws:cloudfront::123456789012:distribution/E3HANDWRITTEN"
)

// cloudFrontSources returns the AWS:SourceArn values of the statement with sid in a key policy
// read with the AWS CLI (nil: no such statement).
func cloudFrontSources(t *testing.T, raw, sid string) []string {
	t.Helper()
	var doc struct {
		Statement []struct {
			Sid       string
			Principal map[string]any
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("key policy is not JSON: %v\n%s", err, raw)
	}
	for _, s := range doc.Statement {
		if s.Sid != sid {
			continue
		}
		if svc := s.Principal["Service"]; svc != iampolicy.ServiceCloudFront && !slices.Equal(anyStrings(svc), []string{iampolicy.ServiceCloudFront}) {
			t.Errorf("statement %s: principal %v, want the CloudFront service principal", sid, s.Principal)
		}
		var out []string
		switch v := s.Condition["StringEquals"]["AWS:SourceArn"].(type) {
		case string:
			out = []string{v}
		case []any:
			out = anyStrings(v)
		default:
			t.Errorf("statement %s: no StringEquals AWS:SourceArn condition: %v", sid, s.Condition)
		}
		return out
	}
	return nil
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// TestE2ECloudFrontDistributionsInTheKeyPolicy: cloudfront_distributions puts sseguard's statement
// for CloudFront (origin access control) into the key policy, conditioned on the distributions;
// removing the field removes sseguard's statement only.
func TestE2ECloudFrontDistributionsInTheKeyPolicy(t *testing.T) {
	e := newE2E(t)
	transcoder := e.roles("Elastic_Transcoder_Default_Role")[0]
	bucket, alias := e.name("media-cf"), e.alias("cf")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	// An existing key whose policy holds a CloudFront statement written by hand, as the CloudFront
	// guide shows it: someone else's, it must survive everything sseguard does.
	existing := `{"Version":"2012-10-17","Statement":[
{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
{"Sid":"AllowCloudFrontServicePrincipalSSE-KMS","Effect":"Allow","Principal":{"Service":["cloudfront.amazonaws.com"]},"Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey*"],"Resource":"*","Condition":{"StringEquals":{"AWS:SourceArn":"` + cfDistOthers + `"}}}]}`
	keyARN := dig(e.aws("kms", "create-key", "--policy", existing, "--description", "cloudfront"), "KeyMetadata", "Arn").(string)
	e.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", keyARN)

	body := `version: 1
account: "123456789012"
buckets:
  - name: ` + bucket + `
    encryption: sse-kms
    kms_key: ` + alias + `
    transcoder_principal: ` + transcoder + `
    cloudfront_distributions:
      - ` + cfDistA + `
      - ` + cfDistB + `
`
	pol := e.policy(body)
	code, out := e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode")
	if code != 2 || !strings.Contains(out, "update-key-policy") || !strings.Contains(out, iampolicy.SidCloudFront) {
		t.Fatalf("plan = %d, want 2 with the key policy gaining %s\n%s", code, iampolicy.SidCloudFront, out)
	}
	if code, out = e.sseguard(nil, "apply", "--policy", pol); code != 0 {
		t.Fatalf("apply = %d\n%s", code, out)
	}

	doc, raw := e.keyPolicy(keyARN)
	if got := cloudFrontSources(t, raw, iampolicy.SidCloudFront); !slices.Equal(got, []string{cfDistB, cfDistA}) {
		t.Errorf("sseguard's statement names %v, want [%s %s] (sorted)\n%s", got, cfDistB, cfDistA, raw)
	}
	if got := cloudFrontSources(t, raw, "AllowCloudFrontServicePrincipalSSE-KMS"); !slices.Equal(got, []string{cfDistOthers}) {
		t.Errorf("the hand-written statement was changed: %v\n%s", got, raw)
	}
	source := func(d string) map[string][]string { return map[string][]string{"aws:SourceArn": {d}} }
	for _, d := range []string{cfDistA, cfDistB, cfDistOthers} {
		if got := allows(doc, iampolicy.ServiceCloudFront, "kms:Decrypt", source(d)); got != iampolicy.Allow {
			t.Errorf("CloudFront for %s kms:Decrypt: %s, want Allow", d, got)
		}
	}
	if got := allows(doc, iampolicy.ServiceCloudFront, "kms:Decrypt", source("arn:aws:cloudfront::123456789012:distribution/ENOTLISTED")); got == iampolicy.Allow {
		t.Errorf("CloudFront for a distribution nobody listed may decrypt\n%s", raw)
	}
	if got := allows(doc, iampolicy.ServiceCloudFront, "kms:Decrypt", nil); got == iampolicy.Allow {
		t.Errorf("CloudFront without a source ARN may decrypt\n%s", raw)
	}
	if code, out = e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after apply = %d, want 0\n%s", code, out)
	}

	// The field removed: sseguard's statement goes, the hand-written one and the transcoder's stay.
	pol = e.policy(body[:strings.Index(body, "    cloudfront_distributions:")])
	if code, out = e.sseguard(nil, "apply", "--policy", pol); code != 0 || !strings.Contains(out, "removed statement "+iampolicy.SidCloudFront) {
		t.Fatalf("apply without cloudfront_distributions = %d, want 0 removing %s\n%s", code, iampolicy.SidCloudFront, out)
	}
	doc, raw = e.keyPolicy(keyARN)
	if got := cloudFrontSources(t, raw, iampolicy.SidCloudFront); got != nil {
		t.Errorf("sseguard's statement is still there: %v\n%s", got, raw)
	}
	if got := cloudFrontSources(t, raw, "AllowCloudFrontServicePrincipalSSE-KMS"); !slices.Equal(got, []string{cfDistOthers}) {
		t.Errorf("the hand-written statement was not kept: %v\n%s", got, raw)
	}
	if got := allows(doc, transcoder, "kms:Decrypt", nil); got != iampolicy.Allow {
		t.Errorf("transcoder kms:Decrypt after the removal: %s, want Allow\n%s", got, raw)
	}
	if code, out = e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after the removal = %d, want 0\n%s", code, out)
	}
}

// TestE2ECloudFrontOAIOnSSEKMSIsAWarning: a bucket policy granting an origin access identity on an
// SSE-KMS bucket is a warning, in the text and in the JSON plan.
func TestE2ECloudFrontOAIOnSSEKMSIsAWarning(t *testing.T) {
	e := newE2E(t)
	bucket, alias := e.name("media-oai"), e.alias("oai")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	const oai = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"
	e.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy",
		`{"Version":"2012-10-17","Statement":[{"Sid":"LegacyOAI","Effect":"Allow","Principal":{"AWS":"`+oai+`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::`+bucket+`/*"}]}`)
	// Moving the bucket to SSE-KMS locks the OAI out: a reader-cannot-decrypt blocker, unless the
	// loss is accepted; either way the warning says how to serve the bucket through OAC.
	blocked := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n")
	if code, out := e.sseguard(nil, "plan", "--policy", blocked); code != 1 || !strings.Contains(out, "[reader-cannot-decrypt]") || !strings.Contains(out, "[cloudfront-oai-sse-kms]") {
		t.Errorf("plan = %d, want 1 with the OAI as a reader that cannot decrypt, and the warning\n%s", code, out)
	}
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias +
		"\n    accept_lost_readers: [\"" + oai + "\"]\n")

	code, out := e.sseguard(nil, "plan", "--policy", pol)
	if code != 0 || !strings.Contains(out, "[cloudfront-oai-sse-kms]") || !strings.Contains(out, "origin access identity E2QWRUHAPOMQZL") ||
		!strings.Contains(out, "origin access control") {
		t.Errorf("plan = %d, want the OAI warning in the text\n%s", code, out)
	}

	cmd := exec.Command(binary, "plan", "--policy", pol, "--json", "-")
	cmd.Env = e.runEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("plan --json -: %v\n%s", err, stderr.String())
	}
	var doc struct {
		Plan struct {
			Warnings []struct {
				Code, Bucket, Message string
				Line                  int
			}
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("JSON plan: %v\n%s", err, stdout.String())
	}
	found := false
	for _, w := range doc.Plan.Warnings {
		if w.Code == "cloudfront-oai-sse-kms" {
			found = true
			if w.Bucket != bucket || w.Line != 3 || !strings.Contains(w.Message, "E2QWRUHAPOMQZL") {
				t.Errorf("warning %+v", w)
			}
		}
	}
	if !found {
		t.Errorf("no cloudfront-oai-sse-kms warning in the JSON plan:\n%s", stdout.String())
	}
	if r := e.refused(); len(r) > 0 {
		t.Errorf("refused under the generated plan policy:\n%s", awstest.FormatActions(r))
	}
}
