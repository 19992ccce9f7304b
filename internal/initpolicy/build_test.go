package initpolicy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/sanitize"
	"github.com/sseguard/sseguard/internal/state"
	"github.com/sseguard/sseguard/internal/testsupport/golden"
)

// inSync plans the written file against the snapshot it was written from, as `sseguard plan`
// does: nothing may change and nothing may be in the way.
func inSync(t *testing.T, s *Snapshot, out []byte) *policy.Policy {
	t.Helper()
	pol, err := policy.Parse("sseguard.yaml", out)
	if err != nil {
		t.Fatalf("the written policy does not validate: %v\n%s", err, out)
	}
	bd := &builder{s: s, byName: map[string]*entry{}}
	for i := range s.Buckets {
		e := &entry{src: &s.Buckets[i]}
		bd.entries = append(bd.entries, e)
		bd.byName[s.Buckets[i].Name] = e
	}
	pl := plan.Compute(pol, bd.state(pol))
	if len(pl.Changes) > 0 || len(pl.Blockers) > 0 {
		t.Fatalf("applied, the written policy changes something:\nchanges %+v\nblockers %+v\n%s", pl.Changes, pl.Blockers, out)
	}
	return pol
}

func TestBuildGolden(t *testing.T) {
	for name, tc := range map[string]struct {
		snap func(*testing.T) *Snapshot
		opts Options
	}{
		"account": {snap: account},
		"with-account": {snap: func(t *testing.T) *Snapshot {
			s := account(t)
			s.Buckets = s.Buckets[:3]
			return s
		}, opts: Options{WriteAccount: true}},
	} {
		t.Run(name, func(t *testing.T) {
			s := tc.snap(t)
			res, err := Build(s, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "testdata/"+name+".golden.yaml", string(res.YAML))
			inSync(t, s, res.YAML)
			if got := sanitize.Text(string(res.YAML)); got != string(res.YAML) {
				t.Errorf("printing through the sanitizer changes the file:\n%s", cmp.Diff(string(res.YAML), got))
			}
			if !strings.HasPrefix(string(res.YAML), "# yaml-language-server: $schema="+SchemaURL+"\n") {
				t.Errorf("first line is not the schema comment:\n%s", res.YAML)
			}
		})
	}
}

// Each decision, on the account fixture: adopted or not, and the fields written.
func TestBuildDecisions(t *testing.T) {
	s := account(t)
	res, err := Build(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pol := inSync(t, s, res.YAML)
	wantAdopted := []string{"a-plain", "b-aes-enforced", "c-media", "d-archive", "e-no-alias", "n-partial", "o-imported", "q-enforced-sse-c-open"}
	if diff := cmp.Diff(wantAdopted, res.Adopted); diff != "" {
		t.Errorf("adopted (-want +got):\n%s", diff)
	}
	wantLeft := []string{"Legacy_Bucket", "f-no-alias-no-rotation", "g-aws-managed-implicit", "h-aws-managed", "i-other-account", "j-dsse", "k-unreadable", "l-pending", "m-rule-by-alias", "p-stale-statements", "r-never-configured"}
	if diff := cmp.Diff(wantLeft, res.NotAdopted); diff != "" {
		t.Errorf("not adopted (-want +got):\n%s", diff)
	}
	byName := map[string]policy.Bucket{}
	for _, b := range pol.Buckets {
		byName[b.Name] = b
	}
	for name, want := range map[string]policy.Bucket{
		"a-plain":               {Encryption: policy.SSES3},
		"b-aes-enforced":        {Encryption: policy.SSES3, EnforceOnUpload: true, RequireTLS: true},
		"c-media":               {Encryption: policy.SSEKMS, KMSKey: "alias/media", TranscoderPrincipal: role("Transcoder"), BucketKey: true, EnforceOnUpload: true, RequireTLS: true},
		"d-archive":             {Encryption: policy.SSEKMS, KMSKey: "alias/archive", Region: "eu-west-1"},
		"e-no-alias":            {Encryption: policy.SSEKMS, KMSKey: keyARN(home, "3333aaaa-3333-3333-3333-333333333333"), BucketKey: true},
		"n-partial":             {Encryption: policy.SSEKMS, KMSKey: "alias/partial", BucketKey: true},
		"q-enforced-sse-c-open": {Encryption: policy.SSES3},
	} {
		got := byName[name]
		if want.Region == "" {
			want.Region = region
		}
		want.Name, want.ExistingObjects, want.Pos = name, policy.ObjectsIgnore, got.Pos
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	keys := map[string]policy.Key{}
	for _, k := range pol.Keys {
		keys[k.Alias] = k
	}
	for alias, rotation := range map[string]bool{"alias/media": true, "alias/archive": false, "alias/partial": true, "alias/imported": false} {
		if k, ok := keys[alias]; !ok || k.Rotation != rotation {
			t.Errorf("keys entry %s = %+v (present %v), want rotation %v", alias, k, ok, rotation)
		}
	}
	if _, ok := keys["alias/old"]; ok {
		t.Error("a keys entry is written for alias/old, which only a bucket not adopted uses")
	}
	text := unwrapped(string(res.YAML))
	for _, want := range []string{
		"origin access identity E2QWRUHAPOMQZL", // OAI on an SSE-KMS bucket
		"(transcoder_principal: ARN): arn:aws:iam::111122223333:role/EncoderA arn:aws:iam::111122223333:role/EncoderB", // several transcoder candidates, listed
		"Automatic rotation of arn:aws:kms:",                                  // a key without rotation
		"KMS cannot rotate arn:aws:kms:",                                      // imported key material
		"also answers to alias/archive-legacy",                                // other aliases
		"AWS managed key aws/s3",                                              // AWS managed key, named
		"naming no key, which S3 serves with the AWS managed key",             // AWS managed key, implicit
		"of account 444455556666",                                             // key in another account
		"DSSE-KMS",                                                            // DSSE-KMS default
		"could not read it: read default encryption",                          // unreadable bucket, with the error
		"IS PENDING DELETION",                                                 // the plan's own blocker, quoted
		"blocked. The rule names the key as alias/media",                      // the plan's own change, quoted, a sentence of its own
		"lets arn:aws:iam::111122223333:role/Reader use the key, but not all", // use-only candidate
		"does not block SSE-C uploads",                                        // enforcement short of SSE-C
		"statements sseguard added earlier, no longer asked for",              // the plan's own change, quoted
		"none → SSE-S3",                                                       // never configured: an emulator's answer
		"bucket name \"Legacy_Bucket\" may only contain",                      // the policy's own validation, quoted
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the file does not say %q:\n%s", want, text)
		}
	}
}

func TestBuildNothingAdopted(t *testing.T) {
	s := &Snapshot{Account: home, Partition: "aws", Region: region, Buckets: []Bucket{
		{Name: "only-aws-managed", Region: region, Encryption: &state.Rule{Algorithm: algKMS}},
	}}
	res, err := Build(s, Options{})
	if !errors.Is(err, ErrNothingAdopted) || res == nil {
		t.Fatalf("Build = %v, %v; want the file and ErrNothingAdopted", res, err)
	}
	if !strings.Contains(string(res.YAML), "buckets: []\n") || !strings.Contains(string(res.YAML), "#   - name: only-aws-managed\n") {
		t.Errorf("the file should have an empty buckets list and the bucket commented out:\n%s", res.YAML)
	}
	if _, err := Build(&Snapshot{Account: home}, Options{}); err == nil {
		t.Error("Build with no bucket: no error")
	}
	dup := &Snapshot{Account: home, Buckets: []Bucket{{Name: "x-1", Region: region}, {Name: "x-1", Region: region}}}
	if _, err := Build(dup, Options{}); err == nil {
		t.Error("Build with a bucket listed twice: no error")
	}
}

// Values read from AWS are untrusted: a description, an alias, a principal, an error message or a
// bucket name may hold anything. None may break the YAML, add a field or a bucket, end a comment,
// or print differently through the sanitizer; a description is kept exactly.
func TestBuildHostileValues(t *testing.T) {
	hostile := []string{
		"line one\nbuckets: []\n- name: injected",
		"# not a comment\r\nversion: 2",
		"quote\" and 'single' and \\backslash\\",
		"key: value # trailing",
		"&anchor *alias !!python/object {flow: [x]} | > % @ `",
		"\u202eevil\u2066 zero\u200bwidth \ufeffbom",
		"\u2028line separator\u2029paragraph\u0085next line",
		"\x1b[31mred\x1b[0m \x00nul \x07bell \x7f",
		"##[error]workflow command",
		"::set-output name=x::y",
		"   leading and trailing spaces   ",
		"true",
		"1e3",
		"null",
		"~",
		"---\n...",
		strings.Repeat("long ", 300),
	}
	for i, h := range hostile {
		t.Run(strings.ToValidUTF8(h[:min(len(h), 12)], "?"), func(t *testing.T) {
			// The key policy names the hostile value as a statement id and as principals: of a Deny,
			// and of an Allow to use the key (a role ARN with more after the name is no role ARN).
			kp := iampolicy.KeyPolicy(iampolicy.KeyPolicySpec{Partition: "aws", Account: home, Users: []string{role("Transcoder")}})
			kp.Statements = append(kp.Statements,
				iampolicy.Statement{Sid: h, Effect: iampolicy.EffectDeny, Principal: &iampolicy.Principal{AWS: []string{role(h)}},
					Action: []string{"kms:ScheduleKeyDeletion"}, Resource: []string{"*"}},
				iampolicy.Statement{Sid: "Use", Effect: iampolicy.EffectAllow, Principal: &iampolicy.Principal{AWS: []string{role("x" + h)}},
					Action: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: []string{"*"}})
			text, err := kp.JSON()
			if err != nil {
				t.Fatal(err)
			}
			k := customerKey("1111aaaa-1111-1111-1111-111111111111", h, on(), text, "alias/media", "alias/z"+h)
			oai := oaiGrant("media")
			oai.Principal.AWS[0] += h
			s := &Snapshot{Account: home, Partition: "aws", Region: region, Buckets: []Bucket{
				{Name: "media", Region: region, Encryption: kmsRule(k, "", true), Key: k,
					Policy: bucketPolicy(t, iampolicy.BucketSpec{Bucket: "media"}, oai)},
				{Name: "broken", Region: region, Err: h},
				{Name: "other", Region: region, Encryption: &state.Rule{Algorithm: h}},
				{Name: "x" + h, Region: region},
			}}
			res, err := Build(s, Options{})
			if err != nil {
				t.Fatalf("case %d: %v\n%s", i, err, res.YAML)
			}
			out := string(res.YAML)
			pol := inSync(t, s, res.YAML)
			if len(pol.Buckets) != 1 || pol.Buckets[0].Name != "media" || pol.Buckets[0].KMSKey != "alias/media" {
				t.Errorf("buckets = %+v, want media alone, by alias/media\n%s", pol.Buckets, out)
			}
			if len(pol.Keys) != 1 || pol.Keys[0].Description != h {
				t.Errorf("keys = %+v, want alias/media with the description kept exactly\n%s", pol.Keys, out)
			}
			if got := sanitize.Text(out); got != out {
				t.Errorf("printing through the sanitizer changes the file:\n%s", cmp.Diff(out, got))
			}
			if slices.Contains(res.NotAdopted, "broken") == false || slices.Contains(res.NotAdopted, "other") == false {
				t.Errorf("not adopted = %v", res.NotAdopted)
			}
			for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				trimmed := strings.TrimLeft(line, " ")
				if strings.HasPrefix(trimmed, "#") || trimmed == "" {
					continue
				}
				// Every other line is a field of the policy's schema or a list item of one.
				if !fieldLine(trimmed) {
					t.Errorf("line %q is not a policy field:\n%s", line, out)
				}
			}
		})
	}
}

// unwrapped is the file as one line: comment markers and line breaks are spaces, so that a
// phrase wrapped across comment lines is found.
func unwrapped(out string) string {
	var words []string
	for _, l := range strings.Split(out, "\n") {
		words = append(words, strings.Fields(strings.TrimLeft(strings.TrimSpace(l), "#"))...)
	}
	return strings.Join(words, " ")
}

// fieldLine reports whether a YAML line starts with one of the policy's field names.
func fieldLine(l string) bool {
	l = strings.TrimPrefix(l, "- ")
	for _, f := range []string{"version:", "account:", "region:", "keys:", "buckets:", "alias:", "description:", "rotation:",
		"name:", "encryption:", "kms_key:", "transcoder_principal:", "bucket_key:", "enforce_on_upload:", "require_tls:"} {
		if strings.HasPrefix(l, f) {
			return true
		}
	}
	return false
}

// One alias may name a different key in each region: the keys entry asks for rotation only when
// every key under it rotates (sseguard never turns rotation off), and writes a description only
// when they share one.
func TestKeyEntryAcrossRegions(t *testing.T) {
	east := customerKey("1111aaaa-1111-1111-1111-111111111111", "media", on(), keyPolicy(t), "alias/media")
	west := customerKey("2222aaaa-2222-2222-2222-222222222222", "media", off(), keyPolicy(t), "alias/media")
	west.Region, west.ARN = "us-west-2", keyARNIn("us-west-2", home, west.ID)
	s := &Snapshot{Account: home, Partition: "aws", Region: region, Buckets: []Bucket{
		{Name: "media-east", Region: region, Encryption: kmsRule(east, "", true), Key: east},
		{Name: "media-west", Region: "us-west-2", Encryption: kmsRule(west, "", true), Key: west},
	}}
	for _, tc := range []struct {
		westDesc string
		wantDesc string
	}{{"media", "media"}, {"other", ""}} {
		west.Description = tc.westDesc
		res, err := Build(s, Options{})
		if err != nil {
			t.Fatal(err)
		}
		pol := inSync(t, s, res.YAML)
		if len(pol.Buckets) != 2 || len(pol.Keys) != 1 || pol.Keys[0].Rotation || pol.Keys[0].Description != tc.wantDesc {
			t.Errorf("keys %+v buckets %d, want one alias/media entry, rotation false, description %q\n%s", pol.Keys, len(pol.Buckets), tc.wantDesc, res.YAML)
		}
	}
}

func TestWrap(t *testing.T) {
	long := strings.Repeat("word ", 40)
	for _, l := range wrap(long) {
		if len(l) > commentWidth {
			t.Errorf("line of %d characters: %q", len(l), l)
		}
	}
	if got := wrap("  arn:aws:iam::111122223333:role/" + strings.Repeat("x", 100)); len(got) != 1 {
		t.Errorf("a list item was wrapped: %q", got)
	}
	if got := wrap("a\nb\u2028c"); len(got) != 1 || got[0] != `a\x0ab\u2028c` {
		t.Errorf("wrap(a\\nb\\u2028c) = %q, want one line with the breaks escaped", got)
	}
}

// TestCloudFrontStatementKept: a key policy holding sseguard's CloudFront statement is adopted
// with the distributions it names, on every bucket sharing the key, so the plan keeps the
// statement instead of removing it.
func TestCloudFrontStatementKept(t *testing.T) {
	dists := []string{"arn:aws:cloudfront::" + home + ":distribution/E2QWRUHAPOMQZL", "arn:aws:cloudfront::" + home + ":distribution/E1ABCDEF234567"}
	text, err := iampolicy.KeyPolicy(iampolicy.KeyPolicySpec{Partition: "aws", Account: home, Users: []string{role("Transcoder")}, CloudFrontDistributions: dists}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, iampolicy.SidCloudFront) {
		t.Fatalf("the fixture key policy has no CloudFront statement:\n%s", text)
	}
	k := customerKey("1111aaaa-1111-1111-1111-111111111111", "media", on(), text, "alias/media")
	s := &Snapshot{Account: home, Partition: "aws", Region: region, Buckets: []Bucket{
		{Name: "media-a", Region: region, Encryption: kmsRule(k, "", true), Key: k},
		{Name: "media-b", Region: region, Encryption: kmsRule(k, "", true), Key: k},
	}}
	res, err := Build(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pol := inSync(t, s, res.YAML)
	want := slices.Sorted(slices.Values(dists))
	if len(pol.Buckets) != 2 {
		t.Fatalf("%d buckets adopted, want 2\n%s", len(pol.Buckets), res.YAML)
	}
	for _, b := range pol.Buckets {
		if !slices.Equal(b.CloudFrontDistributions, want) {
			t.Errorf("%s: cloudfront_distributions %v, want %v\n%s", b.Name, b.CloudFrontDistributions, want, res.YAML)
		}
	}
}
