package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// The JSON Schema editors use (docs/policy.schema.json, referenced from policy.example.yaml) is
// kept equal to what validate accepts: every valid policy passes it, every shape problem fails it,
// and it names exactly the fields the checker knows.

const schemaPath = "../../docs/policy.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	s, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return s
}

// asJSON reads a YAML policy as the JSON value editors validate.
func asJSON(t *testing.T, path string) any {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		return nil // not YAML at all: the schema has nothing to say
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s as JSON: %v", path, err)
	}
	out, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchemaAcceptsEveryValidPolicy(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	files, _ := filepath.Glob("testdata/ok/*.yaml")
	files = append(files, "../../policy.example.yaml")
	for _, f := range files {
		if err := s.Validate(asJSON(t, f)); err != nil {
			t.Errorf("%s is valid but the schema refuses it: %v", f, err)
		}
	}
}

// shapeErrors are the golden error cases about shape (unknown field, wrong type, bad enum, a
// missing or forbidden field, a value's form). The others (duplicates across entries, accounts
// and regions compared between fields, YAML syntax) only validate can judge.
var shapeErrors = []string{
	"account_short", "account_unquoted", "alias_aws_s3", "alias_no_prefix", "bad_bucket_names", "bad_region",
	"buckets_empty", "existing_objects_bad", "missing_name_encryption", "missing_required", "principal_not_role",
	"prefixes_bad", "sse_kms_without_key", "sse_s3_bucket_key", "sse_s3_with_key", "sse_s3_with_principal",
	"tags_bad", "top_level_list", "trusted_accounts", "unknown_field", "version_float", "version_string",
	"version_wrong", "wrong_types", "yes_no_booleans", "bare_key_id", "bad_arn", "administrators_bad",
	"unmanaged_bad", "unmanaged_mapping_bad", "unmanaged_regions_bad", "unmanaged_ignore_regions", "unmanaged_list",
	"batch_bad", "batch_conflicts", "accounts_bad", "readers_bad",
}

func TestSchemaRefusesEveryShapeError(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	for _, name := range shapeErrors {
		path := filepath.Join("testdata/err", name+".yaml")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("no golden case %s", path)
			continue
		}
		if err := s.Validate(asJSON(t, path)); err == nil {
			t.Errorf("%s: validate refuses it, the schema accepts it", path)
		}
	}
}

// The schema's properties are exactly the checker's fields.
func TestSchemaNamesTheCheckersFields(t *testing.T) {
	t.Parallel()
	var doc struct {
		Properties map[string]any
		Defs       map[string]struct{ Properties map[string]any } `json:"$defs"`
	}
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	sorted := func(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }
	for what, pair := range map[string][2][]string{
		"top level": {keys(doc.Properties), sorted(topFields)},
		"key":       {keys(doc.Defs["key"].Properties), sorted(keyFields)},
		"bucket":    {keys(doc.Defs["bucket"].Properties), sorted(bucketFields)},
		"batch":     {keys(doc.Defs["batch_operations"].Properties), sorted(batchFields)},
	} {
		if !slices.Equal(pair[0], pair[1]) {
			t.Errorf("%s: schema properties %v, checker fields %v", what, pair[0], pair[1])
		}
	}
}
