package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestBatchGoldens: a plan with Batch Operations jobs in the text and the job summary (package
// jsonplan has the JSON plan's golden); AWS's failure text stays inert.
func TestBatchGoldens(t *testing.T) {
	t.Parallel()
	p := fxBatchDrift()
	var text bytes.Buffer
	if err := Text(&text, p); err != nil {
		t.Fatal(err)
	}
	mdGolden(t, "text", "batch.txt", text.String())
	md := Markdown(p, MarkdownOptions{Mode: "plan", JSONFile: "sseguard-plan.json"})
	mdGolden(t, "markdown", "batch.md", md)

	// The log is plain text: a line break cannot start a workflow command there. The summary is
	// markdown: no tag, no command.
	if strings.Contains(text.String(), "\n::") || !strings.Contains(md, "Estimated cost of re-encrypting existing objects, by bucket") {
		t.Errorf("AWS's failure reason starts a line with :: in the text")
	}
	for _, bad := range []string{"\n::error::", "<img", "<script", "<b>", "\n::warning::"} {
		if strings.Contains(md, bad) {
			t.Errorf("AWS's failure reason leaked %q into the summary", bad)
		}
	}
	if strings.Contains(md, " @admin") || strings.Contains(md, " @team") {
		t.Errorf("the summary mentions someone")
	}
	for _, want := range []string{"600 of 1200 tasks succeeded, 2 failed, started 2h0m0s ago", "awaiting confirmation: aws s3control update-job-status", "[cloudfront-oai-sse-kms]",
		"estimated cost: about $1.26 (batch-operations engine;", "1,000,000 Batch Operations object operations × $0.000001 = $1.00", "up to 3 KMS requests"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}
