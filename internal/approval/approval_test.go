package approval

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/jsonplan"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/state"
)

const keyARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// approved is a plan as a pull request's run made it: a key policy change, a rule, a bucket
// policy and a re-encryption with counts.
func approved() *plan.Plan {
	return &plan.Plan{PolicyPath: "sseguard.yaml", Account: "123456789012",
		Buckets: []plan.BucketStatus{{Name: "media-hls", Region: "us-east-1", Line: 6, Status: plan.Drift}},
		Changes: []plan.Change{
			{ID: "update-key-policy/us-east-1/" + keyARN, Kind: plan.UpdateKeyPolicy, Alias: "alias/media", Region: "us-east-1", Line: 3, KeyARN: keyARN,
				Before: "the key policy does not give 1 principal what it needs", After: "sseguard's statements merged in",
				Document:         `{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`,
				ObservedDocument: `{"Version":"2012-10-17","Statement":[]}`},
			{ID: "set-default-encryption/media-hls", Kind: plan.SetDefaultEncryption, Bucket: "media-hls", Region: "us-east-1", Line: 6,
				Before: "SSE-S3 (AES256)", After: "SSE-KMS alias/media (bucket key)", DependsOn: []string{"update-key-policy/us-east-1/" + keyARN},
				Rule: &plan.Rule{Algorithm: "aws:kms", KeyARN: keyARN, BucketKey: true}, ObservedRule: &state.Rule{Algorithm: "AES256"}},
			{ID: "update-bucket-policy/media-hls", Kind: plan.UpdateBucketPolicy, Bucket: "media-hls", Region: "us-east-1", Line: 6,
				Document: `{"Version":"2012-10-17","Statement":[{"Sid":"SseguardDenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::media-hls/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`},
			{ID: "reencrypt-objects/media-hls", Kind: plan.ReencryptObjects, Bucket: "media-hls", Region: "us-east-1", Line: 6,
				Before: "47 of 1200 objects not as required", Rule: &plan.Rule{Algorithm: "aws:kms", KeyARN: keyARN, BucketKey: true}},
		},
		Blockers: []plan.Blocker{}, Warnings: []plan.Warning{}}
}

func fingerprint(t *testing.T, p *plan.Plan) Fingerprint {
	t.Helper()
	fp, err := OfPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

// The same plan planned again is the same, whatever is noise between two runs.
func TestFingerprintIgnoresNoise(t *testing.T) {
	t.Parallel()
	want := fingerprint(t, approved())
	for name, mod := range map[string]func(*plan.Plan){
		"changes in another order": func(p *plan.Plan) { p.Changes[0], p.Changes[2] = p.Changes[2], p.Changes[0] },
		"prose and lines": func(p *plan.Plan) {
			for i := range p.Changes {
				p.Changes[i].Before, p.Changes[i].After, p.Changes[i].Line = "other words", "", 99
				p.Changes[i].Details = []string{"detail"}
			}
		},
		"a document with other spacing and key order": func(p *plan.Plan) {
			p.Changes[2].Document = "{\n  \"Statement\": [{\"Sid\": \"SseguardDenyInsecureTransport\", \"Resource\": \"arn:aws:s3:::media-hls/*\", \"Principal\": \"*\", \"Effect\": \"Deny\", \"Action\": \"s3:*\", \"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"false\"}}}],\n  \"Version\": \"2012-10-17\"\n}"
		},
		"what was observed before": func(p *plan.Plan) {
			p.Changes[0].ObservedDocument = ""
			p.Changes[1].ObservedRule = nil
		},
		"objects uploaded since (re-encryption counts)": func(p *plan.Plan) { p.Changes[3].Before = "48 of 1201 objects not as required" },
		"apply defers the object scan":                  func(p *plan.Plan) { p.Changes = p.Changes[:3] },
		"blockers and warnings": func(p *plan.Plan) {
			p.Warnings = append(p.Warnings, plan.Warning{Code: plan.WarnKeyPolicy, Message: "x"})
		},
		"dependencies": func(p *plan.Plan) { p.Changes[1].DependsOn = nil },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := approved()
			mod(p)
			got := fingerprint(t, p)
			if d := Compare(want, got); !d.Same {
				t.Errorf("differs: %v", d.Lines())
			}
		})
	}
}

// Anything a change writes, and which changes there are, makes a difference, named.
func TestFingerprintSeesWhatIsWritten(t *testing.T) {
	t.Parallel()
	want := fingerprint(t, approved())
	for name, tc := range map[string]struct {
		mod   func(*plan.Plan)
		lines []string
	}{
		"another key for the bucket": {func(p *plan.Plan) { p.Changes[1].Rule.KeyARN = strings.Replace(keyARN, "1234abcd", "ffffffff", 1) },
			[]string{"changed since the approved plan (it writes something else): set-default-encryption/media-hls"}},
		"bucket keys off": {func(p *plan.Plan) { p.Changes[1].Rule.BucketKey = false },
			[]string{"changed since the approved plan (it writes something else): set-default-encryption/media-hls"}},
		"a statement more in the key policy": {func(p *plan.Plan) {
			p.Changes[0].Document = strings.Replace(p.Changes[0].Document, `]}`, `,{"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"kms:Decrypt","Resource":"*"}]}`, 1)
		}, []string{"changed since the approved plan (it writes something else): update-key-policy/us-east-1/" + keyARN}},
		"a new change": {func(p *plan.Plan) {
			p.Changes = append(p.Changes, plan.Change{ID: "enable-key-rotation/us-east-1/" + keyARN, Kind: plan.EnableKeyRotation, KeyARN: keyARN, Region: "us-east-1"})
		}, []string{"new since the approved plan: enable-key-rotation/us-east-1/" + keyARN}},
		"a change gone": {func(p *plan.Plan) { p.Changes = p.Changes[1:] }, []string{"1 change of the approved plan is not planned now"}},
		"the bucket policy deleted instead": {func(p *plan.Plan) { p.Changes[2].Document, p.Changes[2].DeleteDocument = "", true },
			[]string{"changed since the approved plan (it writes something else): update-bucket-policy/media-hls"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := approved()
			tc.mod(p)
			d := Compare(want.withoutNames(), fingerprint(t, p))
			if d.Same {
				t.Fatal("the same digest")
			}
			if diff := cmp.Diff(tc.lines, d.Lines()); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
	if d := Compare(Fingerprint{Version: "v0", Digest: want.Digest}, want); d.Same || !strings.Contains(d.Lines()[0], "another kind") {
		t.Errorf("another version: %+v", d)
	}
}

// withoutNames is the fingerprint as read back from a comment: no change ids.
func (fp Fingerprint) withoutNames() Fingerprint {
	fp.Names = nil
	return fp
}

// A JSON plan kept from the approved run is fingerprinted as the plan itself.
func TestFromJSONPlan(t *testing.T) {
	t.Parallel()
	p := approved()
	var buf bytes.Buffer
	if err := jsonplan.Write(&buf, p, nil, strings.NewReader(""), jsonplan.Options{Mode: jsonplan.ModePlan, Version: "v1.2.3"}); err != nil {
		t.Fatal(err)
	}
	got, err := FromJSONPlan(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if want := fingerprint(t, p); !got.Equal(want) || !cmp.Equal(got.Names, want.Names) {
		t.Errorf("from the JSON plan %+v, from the plan %+v", got, want)
	}
	for name, text := range map[string]string{
		"not JSON":         "plan",
		"another version":  `{"format_version":"9","plan":{"changes":[]}}`,
		"no changes field": `{"format_version":"1","plan":{}}`,
	} {
		if _, err := FromJSONPlan(strings.NewReader(text)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// pinnedDigest is the fingerprint of approved() as sseguard has computed it since the approved
// plan came in: a comment written by one release is read by the apply of the next, so the digest
// of the same plan must not change from one version to another (a new definition is a new
// Version, which Compare reports as such).
const pinnedDigest = "7e3d7610ddd3621e7173b8c5010760eb778be15cb0c4fe4644f19e400b0cf567"

// The fingerprint is the same whichever sseguard wrote the plan: the version is not part of it,
// and the digest of a fixed plan is the one every release computes.
func TestFingerprintStableAcrossVersions(t *testing.T) {
	t.Parallel()
	p := approved()
	want := fingerprint(t, p)
	if want.Version != "v1" || want.Digest != pinnedDigest {
		t.Errorf("fingerprint %s %s, want v1 %s (changing it breaks every approval a comment holds)", want.Version, want.Digest, pinnedDigest)
	}
	for _, v := range []string{"v1.0.0", "v1.4.2", "devel+0123456789ab-dirty"} {
		var buf bytes.Buffer
		if err := jsonplan.Write(&buf, p, nil, nil, jsonplan.Options{Mode: jsonplan.ModePlan, Version: v}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), `"sseguard_version": "`+v+`"`) {
			t.Fatalf("the JSON plan does not say it was written by %s", v)
		}
		got, err := FromJSONPlan(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) {
			t.Errorf("a JSON plan written by %s has fingerprint %s, the plan %s", v, got.Digest, want.Digest)
		}
	}
	// A JSON plan written before documents said their version reads the same.
	var buf bytes.Buffer
	if err := jsonplan.Write(&buf, p, nil, nil, jsonplan.Options{Mode: jsonplan.ModePlan, Version: "v1.0.0"}); err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(buf.String(), "  \"sseguard_version\": \"v1.0.0\",\n", "", 1)
	if old == buf.String() {
		t.Fatal("no sseguard_version line to remove")
	}
	if got, err := FromJSONPlan(strings.NewReader(old)); err != nil || !got.Equal(want) {
		t.Errorf("a JSON plan without sseguard_version: %v, %v", got.Digest, err)
	}
}
