package sanitize

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// hostile are inputs an object key, an AWS error message or a policy file can carry.
var hostile = []string{
	"x\n::add-mask::y",
	"##[set-output name=a]b",
	"\x1b]0;title\x07",
	"  ::error::x",
	"\t::warning file=a::b",
	"\u00a0\u3000::notice::wide spaces",
	"\u200b::error::behind a zero width space",
	"\ufeff::error::behind a BOM",
	"a\r::error::carriage return",
	"a\u2028::error::line separator",
	"a\u0085::error::next line",
	"User: arn:aws:sts::123456789012:assumed-role/x is not authorized ##[group]pwn",
	"###[error]triple",
	"#\x00#[error]split by a NUL",
	"videos/\u202eevil\u202c.mp4",
	"\xff\xfe not UTF-8 ::x",
	"::",
	":",
	"",
}

func TestLine(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, want string }{
		"plain":                {"done       create-key/us-east-1/alias/hls", "done       create-key/us-east-1/alias/hls"},
		"colons mid-line":      {"SSE-KMS arn:aws:kms:us-east-1:123456789012:key/1 :: ok", "SSE-KMS arn:aws:kms:us-east-1:123456789012:key/1 :: ok"},
		"unicode kept":         {"✗ blocked → média/vidéo.mp4 👍", "✗ blocked → média/vidéo.mp4 👍"},
		"newline then command": {"x\n::add-mask::y", `x\x0a::add-mask::y`},
		"legacy command":       {"##[set-output name=a]b", `#\x23[set-output name=a]b`},
		"legacy mid-line":      {"key ok ##[group]pwn", `key ok #\x23[group]pwn`},
		"legacy triple hash":   {"###[error]x", `##\x23[error]x`},
		"hash without bracket": {"## heading #1 ##x", "## heading #1 ##x"},
		"split by NUL":         {"#\x00#[error]x", `#\x00#[error]x`},
		"OSC title":            {"\x1b]0;title\x07", `\x1b]0;title\x07`},
		"CSI colour":           {"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		"indented command":     {"  ::error::x", `  \x3a:error::x`},
		"tab then command":     {"\t::error::x", `\x09::error::x`},
		"wide spaces":          {"\u00a0\u3000::notice::x", "\u00a0\u3000\\x3a:notice::x"},
		"zero width space":     {"\u200b::error::x", `\u200b::error::x`},
		"BOM":                  {"\ufeff::error::x", `\ufeff::error::x`},
		"carriage return":      {"a\r::error::x", `a\x0d::error::x`},
		"line separator":       {"a\u2028b\u2029c", `a\u2028b\u2029c`},
		"NEL and C1 CSI":       {"a\u0085b\u009bc", `a\u0085b\u009bc`},
		"DEL":                  {"a\x7fb", `a\x7fb`},
		"bidi override":        {"videos/\u202eevil\u202c.mp4", `videos/\u202eevil\u202c.mp4`},
		"bidi isolate":         {"\u2066x\u2069", `\u2066x\u2069`},
		"not UTF-8":            {"\xff\xfe ok", `\xff\xfe ok`},
		"bare command marker":  {"::", `\x3a:`},
		"one colon":            {": x", ": x"},
		"empty":                {"", ""},
		"already escaped":      {`\x3a:error::x`, `\x3a:error::x`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Line(tc.in)
			if got != tc.want {
				t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if again := Line(got); again != got {
				t.Errorf("Line is not idempotent: %q then %q", got, again)
			}
			checkSafe(t, got)
		})
	}
}

func TestTextAndWriter(t *testing.T) {
	t.Parallel()
	in := "Changes:\n  ::error::from a key\n##[group]x\r\nlast"
	want := "Changes:\n  \\x3a:error::from a key\n#\\x23[group]x\\x0d\nlast"
	if got := Text(in); got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	// Written in awkward pieces: the same lines, each ended, the last one by Flush.
	var out bytes.Buffer
	w := NewWriter(&out, strings.ToUpper)
	for _, chunk := range []string{"Chan", "ges:\n  :", ":error::from a key\n#", "#[group]x\r", "\nlast"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), Text(strings.ToUpper(in))+"\n"; got != want {
		t.Errorf("Writer wrote %q, want %q", got, want)
	}
}

func TestJSONWriter(t *testing.T) {
	t.Parallel()
	doc := map[string]any{"key": "##[set-output name=a]b", "videos/###[x\x7f\u0085\u202e": []string{"\u2028::error::x", "\xff"}}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := NewJSONWriter(&out)
	for i := range b { // byte by byte: the hardest split
		w.Write(b[i : i+1])
	}
	w.Write([]byte("\n"))
	got := out.String()
	for _, want := range []string{`"#\u0023[set-output name=a]b"`, `"videos/##\u0023[x\u007f\u0085\u202e"`} {
		if !strings.Contains(got, want) {
			t.Errorf("JSON lacks %s:\n%s", want, got)
		}
	}
	checkJSON(t, b, got)
}

// FuzzSanitize checks, for any input: every line Text, Line, the Writer and the JSON writer
// produce is safe (no "::" after leading white space, no "##[", no control character), Line is
// idempotent, the Writer agrees with Text however the input is split, and JSON keeps its value.
func FuzzSanitize(f *testing.F) {
	for _, h := range hostile {
		f.Add(h, 3)
	}
	f.Add("a\nb\n", 1)
	f.Fuzz(func(t *testing.T, s string, split int) {
		line := Line(s)
		checkSafe(t, line)
		if strings.Contains(line, "\n") {
			t.Fatalf("Line(%q) spans lines: %q", s, line)
		}
		if again := Line(line); again != line {
			t.Fatalf("Line not idempotent on %q: %q then %q", s, line, again)
		}
		text := Text(s)
		for _, l := range strings.Split(text, "\n") {
			checkSafe(t, l)
		}

		var out bytes.Buffer
		w := NewWriter(&out)
		if split < 0 {
			split = -split
		}
		if len(s) > 0 {
			split %= len(s) + 1
		} else {
			split = 0
		}
		w.Write([]byte(s[:split]))
		w.Write([]byte(s[split:]))
		w.Flush()
		want := text
		if s != "" && !strings.HasSuffix(s, "\n") {
			want += "\n"
		}
		if out.String() != want {
			t.Fatalf("Writer split at %d wrote %q, Text gives %q", split, out.String(), want)
		}

		doc := map[string]string{s: s, "k": "#" + s + "[" + s}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var jout bytes.Buffer
		jw := NewJSONWriter(&jout)
		jw.Write(b[:min(split, len(b))])
		jw.Write(b[min(split, len(b)):])
		jw.Flush()
		checkJSON(t, b, jout.String())
	})
}

// checkSafe fails when line could be read as a workflow command or holds a control character.
func checkSafe(t *testing.T, line string) {
	t.Helper()
	if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") {
		t.Fatalf("line starts a command after white space: %q", line)
	}
	if strings.HasPrefix(strings.TrimLeftFunc(line, skipped), "::") {
		t.Fatalf("line starts a command after white space and format characters: %q", line)
	}
	if strings.Contains(line, "##[") {
		t.Fatalf("line holds a legacy command: %q", line)
	}
	if !utf8.ValidString(line) {
		t.Fatalf("line is not UTF-8: %q", line)
	}
	for _, r := range line {
		if r < 0x20 || r == 0x7f || mustEscape(r) {
			t.Fatalf("control character %U survives in %q", r, line)
		}
	}
}

// checkJSON fails unless got is orig (a JSON document) made safe: the same value, and every line
// safe.
func checkJSON(t *testing.T, orig []byte, got string) {
	t.Helper()
	var want, have any
	if err := json.Unmarshal(orig, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(got), &have); err != nil {
		t.Fatalf("sanitized JSON does not parse: %v\n%s", err, got)
	}
	wb, _ := json.Marshal(want)
	hb, _ := json.Marshal(have)
	if !bytes.Equal(wb, hb) {
		t.Fatalf("sanitized JSON changed value:\n%s\n%s", wb, hb)
	}
	for _, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		checkSafe(t, l)
	}
}
