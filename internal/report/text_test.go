package report

import (
	"bytes"
	"testing"

	"github.com/sseguard/sseguard/internal/plan"
)

func TestTextGolden(t *testing.T) {
	for name, p := range samplePlans() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Text(&buf, p); err != nil {
				t.Fatal(err)
			}
			mdGolden(t, "text", name+".txt", buf.String())
		})
	}
}

func TestResultLineEscapesControlCharacters(t *testing.T) {
	r := plan.Result{ChangeID: "c", Outcome: plan.Failed, Error: "a\nb\x1b[31mc\u0085d"}
	if got, want := ResultLine(r), `failed     c: a\x0ab\x1b[31mc\u0085d`; got != want {
		t.Errorf("ResultLine = %q, want %q", got, want)
	}
}
