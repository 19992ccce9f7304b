package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/testsupport/golden"
)

func TestErrGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/err/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("only %d golden error cases in testdata/err", len(files))
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			t.Parallel()
			p, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = nil error, want problems; policy: %+v", path, p)
			}
			if p != nil {
				t.Errorf("Load(%s) returned a policy along with an error", path)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Load(%s) error %T is not Errors: %v", path, err, err)
			}
			got := err.Error() + "\n"
			out := strings.TrimSuffix(path, ".yaml") + ".out"
			golden.Check(t, out, got)
		})
	}
}

func TestOK(t *testing.T) {
	files, err := filepath.Glob("testdata/ok/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../../policy.example.yaml")
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			p, err := Load(path)
			if err != nil {
				t.Fatalf("Load(%s):\n%v", path, err)
			}
			if p.Path != path || p.Version != 1 || len(p.Buckets) == 0 {
				t.Errorf("Load(%s) = %+v", path, p)
			}
		})
	}
}

func TestExample(t *testing.T) {
	const path = "../../policy.example.yaml"
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Policy{
		Path:    path,
		Version: 1,
		Account: "123456789012",
		Region:  "us-east-1",
		Keys: []Key{
			{
				Alias:          "alias/hls-adaptive-key",
				Description:    "Videos on example.com (HLS renditions)",
				Tags:           map[string]string{"team": "media", "data-class": "internal"},
				Rotation:       true,
				Administrators: []string{"arn:aws:iam::123456789012:role/KeyAdmin"},
				Pos:            Pos{Line: 9, Column: 5},
			},
			{
				Alias:       "alias/archive-key",
				Region:      "eu-west-1",
				Description: "Masters archive in Ireland",
				Tags:        map[string]string{"team": "media"},
				Rotation:    true,
				Pos:         Pos{Line: 16, Column: 5},
			},
		},
		Buckets: []Bucket{
			{
				Name:                    "media-hls",
				Encryption:              SSEKMS,
				KMSKey:                  "alias/hls-adaptive-key",
				TranscoderPrincipal:     "arn:aws:iam::123456789012:role/Elastic_Transcoder_Default_Role",
				BucketKey:               true,
				EnforceOnUpload:         true,
				ExistingObjects:         ObjectsReencrypt,
				Prefixes:                []string{"videos/"},
				CloudFrontDistributions: []string{"arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"},
				Pos:                     Pos{Line: 22, Column: 5},
			},
			{
				Name:            "media-thumbnails",
				Encryption:      SSES3,
				RequireTLS:      true,
				ExistingObjects: ObjectsReport,
				Pos:             Pos{Line: 33, Column: 5},
			},
			{
				Name:                "media-masters-eu",
				Region:              "eu-west-1",
				Encryption:          SSEKMS,
				KMSKey:              "alias/archive-key",
				TranscoderPrincipal: "arn:aws:iam::123456789012:role/MediaConvert_Default_Role",
				BucketKey:           true,
				ExistingObjects:     ObjectsIgnore,
				Pos:                 Pos{Line: 38, Column: 5},
			},
		},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Load(%s) (-want +got):\n%s", path, diff)
	}
	if k, ok := p.KeyByAlias("alias/archive-key"); !ok || k.Region != "eu-west-1" {
		t.Errorf("KeyByAlias(alias/archive-key) = %+v, %v", k, ok)
	}
}

func TestDefaults(t *testing.T) {
	src := `version: 1
keys:
  - alias: alias/k
    rotation: false
buckets:
  - name: off
    encryption: sse-kms
    kms_key: alias/k
    bucket_key: false
  - name: plain
    encryption: sse-s3
    bucket_key: false
  - name: anchored
    <<: &kms {encryption: sse-kms, kms_key: alias/k}
  - name: merged
    <<: *kms
    existing_objects: report
`
	p, err := Parse("d.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Rotation         bool
		BucketKey        []bool
		Objects          []ExistingObjects
		EncryptionMerged Encryption
	}
	g := got{Rotation: p.Keys[0].Rotation, EncryptionMerged: p.Buckets[3].Encryption}
	for _, b := range p.Buckets {
		g.BucketKey = append(g.BucketKey, b.BucketKey)
		g.Objects = append(g.Objects, b.ExistingObjects)
	}
	want := got{
		Rotation:         false,
		BucketKey:        []bool{false, false, true, true},
		Objects:          []ExistingObjects{ObjectsIgnore, ObjectsIgnore, ObjectsIgnore, ObjectsReport},
		EncryptionMerged: SSEKMS,
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// TestHostile checks inputs that must fail fast and clearly, never hang or crash.
func TestHostile(t *testing.T) {
	t.Parallel()
	bomb := "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	for i, prev := 'b', 'a'; i <= 'k'; i, prev = i+1, i {
		bomb += string(i) + ": &" + string(i) + " [" + strings.Repeat("*"+string(prev)+",", 9) + "*" + string(prev) + "]\n"
	}
	var prefixes []string
	for i := range 1000 {
		prefixes = append(prefixes, fmt.Sprint("p", i))
	}
	bucketBomb := "version: 1\nbuckets:\n- &b {name: abc, encryption: sse-s3, prefixes: [" + strings.Join(prefixes, ",") + "]}\n" +
		strings.Repeat("- *b\n", 5000)
	manyErrors := "version: 1\nbuckets:\n- {name: abc, encryption: sse-s3, prefixes: [" + strings.Repeat(`"",`, 5000) + "]}\n"
	tests := map[string]struct {
		src  string
		want string // a substring of the error
	}{
		"empty":          {"", "x.yaml: policy is empty"},
		"comments only":  {"# nothing\n", "x.yaml: policy is empty"},
		"null document":  {"---\n", "x.yaml: policy is empty"},
		"not YAML":       {"version: 1\nbuckets: [\n  - {name: x\n", "x.yaml:2: invalid YAML: did not find expected node content"},
		"tab indent":     {"version: 1\n\tbuckets: []\n", "x.yaml:2: invalid YAML: "},
		"scalar":         {"hello\n", "x.yaml:1:1: policy must be a mapping of version, account, trusted_accounts, region, keys, buckets, unmanaged_buckets, accounts, not a string"},
		"list":           {"- a\n", "x.yaml:1:1: policy must be a mapping"},
		"two documents":  {"version: 1\n---\nversion: 1\n", "x.yaml:2:1: policy must be a single YAML document; found another one"},
		"too big":        {"version: 1\n#" + strings.Repeat("x", maxSize), "x.yaml: policy is larger than 1048576 bytes (1 MiB); refusing to parse it"},
		"10 MB brackets": {strings.Repeat("[", 10<<20), "refusing to parse it"},
		"1 MiB brackets": {strings.Repeat("[", maxSize), "exceeded max depth"},
		"deep mappings":  {strings.Repeat("{a: ", 100_000), "exceeded max depth"},
		"deep blocks":    {strings.Repeat("- ", 100_000), "exceeded max depth"},
		"alias bomb":     {bomb + "version: 1\nbuckets: *k\n", "bucket must be a mapping of name, region, encryption, kms_key, transcoder_principal, bucket_key, enforce_on_upload, require_tls, existing_objects, prefixes, cloudfront_distributions, engine, batch_operations, account, readers, accept_lost_readers, not a list"},
		"bucket bomb":    {bucketBomb, "policy has more than 100000 values, counting what anchors and aliases expand to; stopping here"},
		"many errors":    {manyErrors, "more than 1000 problems; stopping here"},
		"self merge":     {"version: 1\nbuckets:\n  - &b {name: abc, encryption: sse-s3, <<: *b}\n", "x.yaml:3:44: << merges a mapping into itself"},
		"unknown anchor": {"version: 1\nbuckets: *nope\n", "invalid YAML: unknown anchor 'nope' referenced"},
		"binary":         {"\x00\x01\x02", "invalid YAML"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			p, err := Parse("x.yaml", []byte(tt.src))
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Parse took %v", d)
			}
			if err == nil {
				t.Fatalf("Parse = %+v, nil; want an error containing %q", p, tt.want)
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T is not a non-empty Errors: %v", err, err)
			}
			found := false
			for _, e := range es {
				found = found || strings.Contains(e.Error(), tt.want)
			}
			if !found {
				t.Errorf("no error contains %q; got:\n%.1000s", tt.want, err)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Load(missing)
	if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want a not-exist error naming %s", err, missing)
	}

	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#\n"), maxSize), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(big)
	want := big + ": policy is larger than 1048576 bytes (1 MiB); refusing to parse it"
	if err == nil || err.Error() != want {
		t.Errorf("Load(big) = %v, want %q", err, want)
	}
}

func TestErrorString(t *testing.T) {
	es := Errors{
		{Path: "p.yaml", Message: "policy is empty"},
		{Path: "p.yaml", Line: 3, Message: "invalid YAML: x"},
		{Path: "p.yaml", Line: 3, Column: 7, Message: "m"},
	}
	want := "p.yaml: policy is empty\np.yaml:3: invalid YAML: x\np.yaml:3:7: m"
	if got := es.Error(); got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/ok/*.yaml", "testdata/err/*.yaml", "../../policy.example.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range files {
			src, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse("f.yaml", src)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of policy and error", p, err)
		}
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T is not a non-empty Errors: %v", err, err)
			}
			for i, e := range es {
				if e.Path != "f.yaml" || e.Message == "" {
					t.Errorf("bad error %#v", e)
				}
				if i > 0 && (es[i-1].Line > e.Line || es[i-1].Line == e.Line && es[i-1].Column > e.Column) {
					t.Errorf("errors not sorted: %q before %q", es[i-1], e)
				}
			}
			return
		}
		if p.Version != 1 || len(p.Buckets) == 0 || p.Path != "f.yaml" {
			t.Errorf("valid policy with bad fields: %+v", p)
		}
		for _, b := range p.Buckets {
			if bucketNameProblem(b.Name) != "" || (b.Encryption == SSEKMS) == (b.KMSKey == "") {
				t.Errorf("valid policy with bad bucket: %+v", b)
			}
		}
	})
}
