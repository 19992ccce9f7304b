package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestReadersGoldens: readers and replication in the log and the job summary (package jsonplan has
// the JSON plan's golden); the rule id from AWS stays inert.
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
