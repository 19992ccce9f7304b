package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/plan"
)

const fxPartner = "arn:aws:iam::111122223333:role/Player"

// fxReaders is a plan that moves media-hls to its key: a partner role keeps access through
// readers, a public grant would lose it (blocked), an origin access identity's loss is accepted,
// and a replication rule, whose id tries markdown, a mention, HTML and a workflow command, lacks
// the SSE-KMS opt-in (blocked).
func fxReaders() *plan.Plan {
	p := fxDrift()
	p.Buckets = p.Buckets[:1]
	b := &p.Buckets[0]
	b.Status, b.Changes = plan.Blocked, nil
	b.Readers = []plan.Reader{
		{Principal: "*", Kind: "public", Statements: []string{"statement #2"}, Needs: []string{"kms:Decrypt"}, Verdict: plan.ReaderCannotDecrypt,
			Reason: "the key policy does not allow it kms:Decrypt"},
		{Principal: fxPartner, Kind: "principal", Statements: []string{`statement "PartnerRead"`}, Needs: []string{"kms:Decrypt"}, Verdict: plan.ReaderCanDecrypt, Listed: true},
		{Principal: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL", Kind: "origin-access-identity",
			Statements: []string{`statement "LegacyOAI"`}, Needs: []string{"kms:Decrypt"}, Verdict: plan.ReaderLossAccepted,
			Reason: "an origin access identity cannot decrypt SSE-KMS objects (CloudFront's origin access control can)"},
		{Principal: "logging.s3.amazonaws.com", Kind: "service", Statements: []string{`statement "S3ServerAccessLogsPolicy"`}, Needs: []string{"kms:GenerateDataKey"},
			Verdict: plan.ReaderCanDecrypt},
	}
	b.Replication = &plan.Replication{Role: "arn:aws:iam::123456789012:role/replication", Rules: []plan.ReplicationRule{
		{ID: "dr|<img src=x>@ops\n::warning::x", Priority: 1, Status: "Enabled", Filter: "prefix videos/", Destination: "arn:aws:s3:::media-hls-dr",
			WantReplicaKey: "arn:aws:kms:us-west-2:123456789012:key/dr",
			Lacks: []string{"the SSE-KMS opt-in (SourceSelectionCriteria.SseKmsEncryptedObjects Status Enabled): without it S3 does not replicate SSE-KMS objects",
				"the key for replicas (Destination.EncryptionConfiguration.ReplicaKmsKeyID): set it to arn:aws:kms:us-west-2:123456789012:key/dr, the key the policy file wants for media-hls-dr"}},
		{ID: "archive", Status: "Disabled", Destination: "arn:aws:s3:::media-archive"},
	}}
	p.Changes = []plan.Change{}
	p.Warnings = nil
	p.Blockers = []plan.Blocker{
		{Code: plan.BlockReaderCannotDecrypt, Bucket: "media-hls", Region: "us-east-1", Line: 14,
			Message: `everyone (a bucket policy grant to "*"): * may read the objects of media-hls (bucket policy statement #2) but could not once they are encrypted under alias/hls-adaptive-key: the key policy does not allow it kms:Decrypt. To keep it, narrow the bucket policy statement to the principals that must read; if its loss is intended, list "*" under accept_lost_readers`},
		{Code: plan.BlockReplicationKMS, Bucket: "media-hls", Region: "us-east-1", Line: 14,
			Message: "replication rule \"dr|<img src=x>@ops\\n::warning::x\" (priority 1) of media-hls (to arn:aws:s3:::media-hls-dr) would stop replicating the bucket's new objects once they are encrypted under alias/hls-adaptive-key: it lacks the SSE-KMS opt-in"},
	}
	return p
}

// TestReadersGoldens: readers and replication in the log, the job summary and the JSON plan (which
// TestJSONGoldensMatchSchema checks against the schema); the rule id from AWS stays inert.
func TestReadersGoldens(t *testing.T) {
	t.Parallel()
	p := fxReaders()
	var text bytes.Buffer
	if err := Text(&text, p); err != nil {
		t.Fatal(err)
	}
	mdGolden(t, "text", "readers.txt", text.String())
	md := Markdown(p, MarkdownOptions{Mode: "plan", JSONFile: "sseguard-plan.json"})
	mdGolden(t, "markdown", "readers.md", md)
	var js bytes.Buffer
	if err := JSONWithObjects(&js, ModePlan, p, nil, nil); err != nil {
		t.Fatal(err)
	}
	mdGolden(t, "json", "readers.json", js.String())

	if strings.Contains(text.String(), "\n::") {
		t.Errorf("the rule id starts a line with :: in the log")
	}
	for _, bad := range []string{"\n::warning::", "<img", " @ops"} {
		if strings.Contains(md, bad) {
			t.Errorf("the rule id leaked %q into the summary", bad)
		}
	}
	for _, want := range []string{fxPartner + " (principal, bucket policy statement \"PartnerRead\", needs kms:Decrypt): can use the key (listed under readers)",
		"CANNOT use the key", "lacks the SSE-KMS opt-in", "the policy file wants replicas under arn:aws:kms:us-west-2:123456789012:key/dr"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, text.String())
		}
	}
	if !strings.Contains(md, "#### Readers and replication") {
		t.Errorf("the summary has no readers section:\n%s", md)
	}
}
