package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sseguard/sseguard/internal/plan"
)

// fxBatchDrift is the drift plan with media-hls's re-encryption handed to S3 Batch Operations: one job
// running with a failure reason quoting hostile text (AWS's words are untrusted), one awaiting
// confirmation, and the CloudFront warning for an origin access identity.
func fxBatchDrift() *plan.Plan {
	p := fxDrift()
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Kind != plan.ReencryptObjects {
			continue
		}
		c.Engine, c.EngineReason = plan.EngineBatch, "engine: batch-operations in the policy"
		c.Batch = &plan.BatchConfig{RoleARN: "arn:aws:iam::123456789012:role/sseguard-batch", ReportBucket: "media-reports",
			ReportPrefix: "sseguard/", ConfirmationRequired: true, Priority: 10, Revision: "3f2a9c1d8e7b"}
		c.BatchJobs = []plan.BatchJob{
			{Operation: plan.OpUpdateEncryption, Filter: "SSE-S3", ID: "a1b2c3d4-0000-4000-8000-000000000001", Status: "Active",
				Created: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), Total: 1200, Succeeded: 600, Failed: 2,
				FailureReasons: []string{"AccessDenied <img src=x onerror=alert(1)> @admin\n::error::pwned"},
				Report:         "s3://media-reports/sseguard/media-hls/job-a1b2c3d4-0000-4000-8000-000000000001/manifest.json",
				FailedTasks:    []plan.FailedTask{{Key: "videos/<script>x</script>\n::warning::k.ts", ErrorCode: "AccessDenied", HTTPStatus: "403", Message: "Access Denied"}}},
			{Operation: plan.OpCopy, Filter: "NOT-SSE", StorageClass: "STANDARD_IA", MaxObjectSize: plan.MaxBatchCopySize, ID: "a1b2c3d4-0000-4000-8000-000000000002",
				Status: "Suspended", AwaitingConfirmation: true,
				ConfirmCommand: "aws s3control update-job-status --account-id 123456789012 --job-id a1b2c3d4-0000-4000-8000-000000000002 --requested-job-status Ready"},
		}
		for _, j := range c.BatchJobs {
			c.Details = append(c.Details, "Batch Operations "+j.Summary(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)))
		}
		c.Cost = &plan.Cost{Engine: plan.EngineBatch, Basis: "S3 Inventory <b>daily</b> @team created 2026-11-28T00:00:00Z", USD: 1.26,
			Items: []plan.CostItem{
				{What: "Batch Operations jobs to create", Count: 1, UnitUSD: 0.25, USD: 0.25},
				{What: "Batch Operations object operations", Count: 1_000_000, UnitUSD: 0.000001, USD: 1},
				{What: "KMS requests (at most: S3 Bucket Keys make S3 call KMS far less often)", Count: 3, UnitUSD: 0.000003, USD: 0.00001, UpTo: true},
			},
			Notes:  []string{"manifest generation is not priced"},
			Prices: "prices of us-east-1 as of 2026-12-07 (https://aws.amazon.com/s3/pricing/, https://aws.amazon.com/kms/pricing/; override with --prices)"}
	}
	p.Warnings = append(p.Warnings, plan.Warning{Code: plan.WarnCloudFrontOAI, Bucket: "media-hls", Line: 14,
		Message: "the bucket policy of media-hls grants CloudFront origin access identity E2EXAMPLE, but the bucket is SSE-KMS: downloads through it fail"})
	return p
}

// TestBatchGoldens: a plan with Batch Operations jobs in the text, the job summary and the JSON
// (which the JSON golden test also checks against the schema); AWS's failure text stays inert.
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
	var js bytes.Buffer
	if err := JSONWithObjects(&js, ModePlan, p, nil, nil); err != nil {
		t.Fatal(err)
	}
	mdGolden(t, "json", "batch.json", js.String())

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
