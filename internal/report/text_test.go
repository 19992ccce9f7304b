package report

import (
	"bytes"
	"testing"
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

func TestOneLineEscapesControlCharacters(t *testing.T) {
	if got, want := oneLine("a\nb\x1b[31mc"), `a\x0ab\x1b[31mc`; got != want {
		t.Errorf("oneLine = %q, want %q", got, want)
	}
}
