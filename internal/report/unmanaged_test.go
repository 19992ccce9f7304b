package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/state"
)

// fxUnmanaged is an in-sync plan whose policy asks for the account's other buckets: SSE-KMS,
// SSE-S3, none, and one whose encryption could not be read, with an AWS error message that tries
// markdown, a mention, a workflow command and a line break.
func fxUnmanaged() *plan.Plan {
	p := fxInSync()
	p.Unmanaged = &plan.Unmanaged{Regions: []string{"eu-west-1", "us-east-1"}, Buckets: []plan.UnmanagedBucket{
		{Name: "analytics-raw", Region: "us-east-1", Encryption: "SSE-KMS " + fxOldARN + " (bucket key)",
			Rule: &state.Rule{Algorithm: "aws:kms", KeyRef: fxOldARN, BucketKey: true}},
		{Name: "legacy-uploads", Region: "eu-west-1", Encryption: "none"},
		{Name: "locked-down", Region: "us-east-1",
			Error: "read default encryption: s3:GetEncryptionConfiguration was refused: api error AccessDenied: <b>|x|</b> @admin\n::error::pwned"},
		{Name: "website", Region: "us-east-1", Encryption: "SSE-S3 (AES256)", Rule: &state.Rule{Algorithm: "AES256"}},
	}}
	return p
}

func TestUnmanagedGoldens(t *testing.T) {
	t.Parallel()
	p := fxUnmanaged()
	var text bytes.Buffer
	if err := Text(&text, p); err != nil {
		t.Fatal(err)
	}
	mdGolden(t, "text", "unmanaged.txt", text.String())
	mdGolden(t, "markdown", "unmanaged.md", Markdown(p, MarkdownOptions{Mode: "plan", JSONFile: "sseguard-plan.json"}))
	var js bytes.Buffer
	if err := JSONWithObjects(&js, ModePlan, p, nil, nil); err != nil {
		t.Fatal(err)
	}
	mdGolden(t, "json", "unmanaged.json", js.String())
}

// The AWS error text cannot break out of its line, cell or section in any view.
func TestUnmanagedErrorsAreInert(t *testing.T) {
	t.Parallel()
	p := fxUnmanaged()
	var text bytes.Buffer
	if err := Text(&text, p); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(text.String(), "\n") {
		if strings.HasPrefix(line, "::") {
			t.Errorf("text has a line starting a workflow command: %q", line)
		}
	}
	md := Markdown(p, MarkdownOptions{Mode: "plan"})
	for _, bad := range []string{"<b>", "|x|", "@admin", "\n::error"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown holds %q raw", bad)
		}
	}
}

func TestUnmanagedViews(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		u          *plan.Unmanaged
		text, md   string
		notText    string
		jsonAbsent bool
	}{
		"not asked": {u: nil, notText: "does not name", jsonAbsent: true},
		"none": {u: &plan.Unmanaged{AllRegions: true, Buckets: []plan.UnmanagedBucket{}},
			text: "Buckets the policy does not name (all regions; reported, never changed): none",
			md:   "<details><summary>Buckets the policy does not name: 0 (all regions; reported, never changed)</summary>\n\nNone."},
		"listing failed": {u: &plan.Unmanaged{Regions: []string{"us-east-1"}, Buckets: []plan.UnmanagedBucket{}, Error: "list the account's buckets (s3:ListAllMyBuckets): AccessDenied"},
			text: "Buckets the policy does not name (region us-east-1; reported, never changed): could not be listed: list the account's buckets (s3:ListAllMyBuckets): AccessDenied",
			md:   "> [!WARNING]\n> The account's buckets (region us-east-1) could not be listed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := fxInSync()
			p.Unmanaged = tc.u
			var text bytes.Buffer
			if err := Text(&text, p); err != nil {
				t.Fatal(err)
			}
			if tc.text != "" && !strings.Contains(text.String(), tc.text) {
				t.Errorf("text lacks %q:\n%s", tc.text, text.String())
			}
			if tc.notText != "" && strings.Contains(text.String(), tc.notText) {
				t.Errorf("text has %q:\n%s", tc.notText, text.String())
			}
			if md := Markdown(p, MarkdownOptions{Mode: "plan"}); tc.md != "" && !strings.Contains(md, tc.md) {
				t.Errorf("markdown lacks %q:\n%s", tc.md, md)
			}
			var js bytes.Buffer
			if err := JSONWithObjects(&js, ModePlan, p, nil, nil); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(js.String(), `"unmanaged_buckets"`); got == tc.jsonAbsent {
				t.Errorf("JSON has unmanaged_buckets: %v, want %v", got, !tc.jsonAbsent)
			}
		})
	}
}
