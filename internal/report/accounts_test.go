package report

import (
	"bytes"
	"strings"
	"testing"
)

// A plan over several accounts is shown account by account in text and in the job summary
// (package jsonplan checks the JSON plan names each entry's account).
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

}
