package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
)

const fxMember, fxUnreachable = "111122223333", "999988887777"

// fxAccounts is a plan over three accounts: the home account drifts, a member is in sync, and
// one could not be reached.
func fxAccounts() *plan.Plan {
	member := fxInSync()
	member.Account = fxMember
	member.Buckets = member.Buckets[:1]
	pol := &policy.Policy{Path: "sseguard.yaml", Buckets: []policy.Bucket{{Name: "far-logs", Encryption: policy.SSES3, Pos: policy.Pos{Line: 30}}}}
	far := plan.Unreachable(pol, fxUnreachable, "sts:AssumeRole of arn:aws:iam::999988887777:role/sseguard was refused: AccessDenied: not authorized")
	return plan.Merge(fxAccount, fxDrift(), member, far)
}

// A plan over several accounts is shown account by account in text and in the job summary, and
// every entry of the JSON plan names its account (valid against the schema).
func TestAccountsReports(t *testing.T) {
	t.Parallel()
	p := fxAccounts()
	var text bytes.Buffer
	if err := Text(&text, p); err != nil {
		t.Fatal(err)
	}
	mdGolden(t, "text", "accounts.txt", text.String())
	md := Markdown(p, MarkdownOptions{Mode: "plan"})
	mdGolden(t, "markdown", "accounts.md", md)
	for _, want := range []string{"Account 123456789012 (home): ", "Account 111122223333: 1 bucket", "Account 999988887777: 1 bucket"} {
		if !strings.Contains(text.String(), want) || !strings.Contains(md, "### "+want) {
			t.Errorf("text or summary lacks the heading %q", want)
		}
	}

	var js bytes.Buffer
	if err := JSONWithObjects(&js, ModePlan, p, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := planSchema(t).Validate(decodeInstance(t, js.Bytes())); err != nil {
		t.Errorf("the JSON plan over several accounts does not match the schema:\n%v", err)
	}
	doc, err := NewJSONPlan(ModePlan, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(doc.Plan.Accounts, ","); got != fxAccount+","+fxMember+","+fxUnreachable {
		t.Errorf("accounts = %s", got)
	}
	for _, b := range doc.Plan.Buckets {
		if b.Account == "" {
			t.Errorf("bucket %s names no account", b.Name)
		}
	}
	if bl := doc.Plan.Blockers[len(doc.Plan.Blockers)-1]; bl.Code != plan.BlockAccountUnreachable || bl.Account != fxUnreachable {
		t.Errorf("last blocker = %+v, want account-unreachable of %s", bl, fxUnreachable)
	}
}
