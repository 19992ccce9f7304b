package action

import (
	"bytes"
	"testing"
)

func TestLogWriterNeutralisesWorkflowCommands(t *testing.T) {
	var out bytes.Buffer
	w := LogWriter(&out)
	for _, chunk := range []string{"done       x\n::error::pwn", "ed\r::set-output name=a::b\n", "  ::warning::x\n"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	want := "done       x\n  ::error::pwned ::set-output name=a::b\n    ::warning::x\n"
	if got := out.String(); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
