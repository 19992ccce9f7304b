package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/pipeline"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// One moto_server behind one strict AWS layer serves the whole package; tests that use it name
// their buckets and keys uniquely.
var layer *awstest.Layer

func TestMain(m *testing.M) {
	l, stop := awstest.StartMain()
	layer = l
	code := m.Run()
	stop()
	os.Exit(code)
}

var seq atomic.Int64

// unique returns base with a suffix no other name in this run has (a bucket name, or an alias).
func unique(base string) string { return fmt.Sprintf("%s-%d", base, seq.Add(1)) }

// runOn runs the command line against the layer.
func runOn(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	c, err := awsclient.ForEndpoint(context.Background(), layer.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline.Pipeline{AWS: pipeline.Static(pipeline.FromClients(c))}
	code := Main(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Pipeline: p})
	return code, out.String(), errb.String()
}

// checkSafe fails when any line of out could be read as a workflow command by the runner (after
// its TrimStart, "::"; anywhere, "##[") or holds a control character. Lines end at "\n" and "\r".
func checkSafe(t *testing.T, what, out string) {
	t.Helper()
	for _, line := range strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") || strings.Contains(line, "##[") {
			t.Errorf("%s: a line the runner would read as a command: %q\n%s", what, line, out)
		}
	}
	for _, r := range out {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			t.Errorf("%s: control character %U:\n%q", what, r, out)
			break
		}
	}
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOutputIsSanitized runs commands whose output carries hostile policy paths, policy text and
// flags: every line of stdout and stderr is safe, and the hostile part shows escaped.
func TestOutputIsSanitized(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := "version: 1\nbuckets:\n  - name: media-hls\n    encryption: sse-s3\n"
	hostilePath := write(t, filepath.Join(dir, "x\n::add-mask::y", "##[group]p\u202e.yaml"), good)
	hostileText := write(t, filepath.Join(dir, "bad.yaml"), "version: 1\n\"##[set-output name=a]b\": 1\n"+
		"\"  ::error::x\": 2\nbuckets:\n  - name: media-hls\n    encryption: \"sse-s3\\n::warning::y\\e]0;t\\a\"\n")
	tests := map[string]struct {
		args []string
		want string // in stdout or stderr
	}{
		"hostile policy path":   {args: []string{"validate", "--policy", hostilePath}, want: `x\x0a::add-mask::y/#\x23[group]p\u202e.yaml: valid (1 bucket, 0 keys)`},
		"hostile path, problem": {args: []string{"validate", "--policy", hostilePath + "\n::error::nope"}, want: "\n" + `\x3a:error::nope: no such file`},
		"hostile policy text":   {args: []string{"validate", "--policy", hostileText}, want: `#\x23[set-output name=a]b`},
		"hostile flag":          {args: []string{"plan", "--##[group]x"}, want: `unknown flag --#\x23[group]x`},
		"hostile command":       {args: []string{"  ::error::x"}, want: `unknown command "  ::error::x"`},
		"help":                  {args: []string{"plan", "--help"}, want: "--redact-account-id"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, out, errOut := run(t, tc.args...)
			checkSafe(t, "stdout", out)
			checkSafe(t, "stderr", errOut)
			if !strings.Contains(out+errOut, tc.want) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", tc.want, out, errOut)
			}
		})
	}
}

// TestRedactOffline: validate prints an invalid policy's problems with the account id (the
// policy's, and any ARN's account field) redacted when asked, and exact when not.
func TestRedactOffline(t *testing.T) {
	t.Parallel()
	pol := write(t, filepath.Join(t.TempDir(), "p.yaml"), "version: 1\naccount: \"123456789012\"\nbuckets:\n  - name: media-hls\n"+
		"    encryption: sse-kms\n    kms_key: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\n    \"x\\n::add-mask::123456789012\": 1\n")
	code, out, errOut := run(t, "validate", "--policy", pol, "--redact-account-id")
	if code != ExitError {
		t.Errorf("exit %d, want %d", code, ExitError)
	}
	checkSafe(t, "stderr", errOut)
	// The policy's account, wherever it is, and the account field of every ARN are redacted; a
	// bare number that is neither stays.
	if strings.Contains(out+errOut, "123456789012") || strings.Contains(out+errOut, ":111122223333:") || !strings.Contains(errOut, "arn:aws:kms:us-east-1:REDACTED:key/") ||
		!strings.Contains(errOut, "the policy's account is REDACTED") || !strings.Contains(errOut, `"x\n::add-mask::REDACTED"`) {
		t.Errorf("redacted output:\n%s%s", out, errOut)
	}
	_, _, plain := run(t, "validate", "--policy", pol)
	if !strings.Contains(plain, "123456789012") || strings.Contains(plain, "REDACTED") {
		t.Errorf("without the flag the account id is shown as it is:\n%s", plain)
	}
}

// TestMotoHostileAndRedacted plans and applies against moto with hostile object keys (one XML 1.0
// cannot carry), with --redact-account-id: stdout and stderr are safe and hold no
// account id; the JSON plan (on stdout, and in a file) keeps the account and every key exactly,
// with "##[" spelled #\u0023[.
func TestMotoHostileAndRedacted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := awsclient.ForEndpoint(ctx, layer.URL)
	if err != nil {
		t.Fatal(err)
	}
	s3c := c.S3("us-east-1")
	keysBucket, errorBucket, alias := unique("cli-hostile-keys"), unique("cli-hostile-error"), unique("alias/cli-hostile")
	keys := map[string][]string{
		keysBucket: {"##[set-output name=a]b", "  ::error::x\u202eevil", "videos/ok.m3u8"},
		// A key XML 1.0 cannot carry: listed with encoding-type=url, it is scanned like any
		// other, and printed escaped. (Uploaded without headers it is SSE-S3, as on AWS: the
		// policy asks for SSE-KMS so that it is reported.)
		errorBucket: {"\x1b]0;title\x07"},
	}
	for bucket, ks := range keys {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
			t.Fatal(err)
		}
		for _, k := range ks {
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
				t.Fatalf("put %q: %v", k, err)
			}
		}
	}
	dir := t.TempDir()
	pol := write(t, filepath.Join(dir, "p.yaml"), fmt.Sprintf(`version: 1
keys:
  - alias: %[1]s
    description: test
buckets:
  - name: %[2]s
    encryption: sse-kms
    kms_key: %[1]s
    existing_objects: report
  - name: %[3]s
    encryption: sse-kms
    kms_key: %[1]s
    existing_objects: report
`, alias, keysBucket, errorBucket))

	// plan --json -: the JSON on stdout, the text on stderr.
	code, out, errOut := runOn(t, "plan", "--policy", pol, "--json", "-", "--redact-account-id")
	if code != ExitOK {
		t.Errorf("plan exit %d, want %d\n%s", code, ExitOK, errOut)
	}
	checkSafe(t, "plan stdout (JSON)", out)
	checkSafe(t, "plan stderr", errOut)
	if !strings.Contains(out, `#\u0023[set-output name=a]b`) {
		t.Errorf("the JSON lacks the hostile key spelled safely:\n%s", out)
	}
	var doc struct {
		SseguardVersion string `json:"sseguard_version"`
		Plan            struct {
			Account string `json:"account"`
		} `json:"plan"`
		Objects []struct {
			Key string `json:"key"`
		} `json:"objects"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not the JSON plan: %v\n%s", err, out)
	}
	if v := buildInfo().Short(); doc.SseguardVersion != v {
		t.Errorf("the JSON plan says sseguard_version %q, the build is %q", doc.SseguardVersion, v)
	}
	got := map[string]bool{}
	for _, o := range doc.Objects {
		got[o.Key] = true
	}
	if doc.Plan.Account != motoserver.Account || !got["##[set-output name=a]b"] || !got["  ::error::x\u202eevil"] || !got["\x1b]0;title\x07"] {
		t.Errorf("the JSON plan must keep the account and keys exact: account %q, keys %v", doc.Plan.Account, got)
	}
	if strings.Contains(out, "REDACTED") {
		t.Errorf("the JSON plan was redacted:\n%s", out)
	}

	// apply: creates the key; its ARN is printed redacted.
	jsonFile := filepath.Join(dir, "apply.json")
	code, out, errOut = runOn(t, "apply", "--policy", pol, "--json", jsonFile, "--redact-account-id")
	if code != ExitOK {
		t.Errorf("apply exit %d, want %d\n%s%s", code, ExitOK, out, errOut)
	}
	checkSafe(t, "apply stdout", out)
	checkSafe(t, "apply stderr", errOut)
	if strings.Contains(out+errOut, motoserver.Account) || !strings.Contains(out, "arn:aws:kms:us-east-1:REDACTED:key/") {
		t.Errorf("apply output must show key ARNs with the account redacted:\n%s%s", out, errOut)
	}
	b, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"account": "`+motoserver.Account+`"`)) || bytes.Contains(b, []byte("REDACTED")) || bytes.Contains(b, []byte("##[")) {
		t.Errorf("the JSON file must be exact (and safe):\n%s", b)
	}
}
