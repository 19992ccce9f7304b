package jsonplan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/plan/plantest"
	"github.com/sseguard/sseguard/internal/testsupport/golden"
)

// schemaPath is the JSON Schema of the document, committed with the docs.
var schemaPath = filepath.Join("..", "..", "docs", "plan.schema.json")

// goldens are the documents whose goldens are testdata/NAME: every sample plan of package
// plantest, with results and streamed objects where a view shows them.
func goldens() map[string]struct {
	mode    plan.Mode
	p       *plan.Plan
	results []plan.Result
	objects string
} {
	computed := plantest.Computed()
	drift := computed["drift"]
	applied, results := plantest.Applied()
	return map[string]struct {
		mode    plan.Mode
		p       *plan.Plan
		results []plan.Result
		objects string
	}{
		"drift.json": {mode: ModePlan, p: drift, results: []plan.Result{
			{ChangeID: drift.Changes[0].ID, Outcome: plan.Done, Detail: "arn:aws:kms:..."},
			{ChangeID: drift.Changes[1].ID, Outcome: plan.Failed, Error: "AccessDenied"}}},
		"in-sync.json":   {mode: ModePlan, p: computed["in-sync"]},
		"blockers.json":  {mode: ModePlan, p: plantest.Blockers()},
		"applied.json":   {mode: ModeApply, p: applied, results: results},
		"policies.json":  {mode: ModePlan, p: fxPolicies()},
		"objects.json":   {mode: ModePlan, p: plantest.Drift(), objects: fxFindings},
		"readers.json":   {mode: ModePlan, p: plantest.Readers()},
		"unmanaged.json": {mode: ModePlan, p: plantest.Unmanaged()},
		"batch.json":     {mode: ModePlan, p: plantest.BatchDrift()},
		"accounts.json":  {mode: ModePlan, p: plantest.Accounts()},
	}
}

func TestJSONGolden(t *testing.T) {
	t.Parallel()
	for name, tc := range goldens() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var objects io.Reader
			if tc.objects != "" {
				objects = strings.NewReader(tc.objects)
			}
			var buf bytes.Buffer
			if err := Write(&buf, tc.p, tc.results, objects, testOptions(tc.mode)); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name), buf.String())
		})
	}
}

// planSchema compiles docs/plan.schema.json.
func planSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sch, err := jsonschema.NewCompiler().Compile(schemaPath)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return sch
}

func decodeInstance(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return v
}

// TestJSONGoldensMatchSchema validates every JSON golden, and documents converted from every
// sample plan (package plantest), against the committed schema.
func TestJSONGoldensMatchSchema(t *testing.T) {
	t.Parallel()
	sch := planSchema(t)
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		t.Fatal(err)
	}
	want := goldens()
	if len(files) != len(want) {
		t.Errorf("testdata holds %d files, TestJSONGolden writes %d: %v", len(files), len(want), files)
	}
	docs := map[string][]byte{}
	for _, path := range files {
		if _, ok := want[filepath.Base(path)]; !ok {
			t.Errorf("%s is no golden TestJSONGolden writes (left from an older test?)", path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		docs[path] = b
	}
	applied, results := plantest.Applied()
	for name, p := range map[string]*plan.Plan{"InSync": plantest.InSync(), "Drift": plantest.Drift(), "Blockers": plantest.Blockers(),
		"Huge": plantest.Huge(), "fxPolicies": fxPolicies(), "Applied": applied} {
		var buf bytes.Buffer
		if err := Write(&buf, p, results, strings.NewReader(fxFindings), testOptions(ModeApply)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		docs[name] = buf.Bytes()
	}
	for name, b := range docs {
		if err := sch.Validate(decodeInstance(t, b)); err != nil {
			t.Errorf("%s does not match %s:\n%v", name, schemaPath, err)
		}
	}
}

// TestJSONSchemaCatchesMistakes checks the schema is strict: a document with a misspelt field,
// a code it does not know, or a value of the wrong shape fails validation.
func TestJSONSchemaCatchesMistakes(t *testing.T) {
	t.Parallel()
	sch := planSchema(t)
	valid, err := os.ReadFile(filepath.Join("testdata", "policies.json"))
	if err != nil {
		t.Fatal(err)
	}
	withObjects, err := os.ReadFile(filepath.Join("testdata", "objects.json"))
	if err != nil {
		t.Fatal(err)
	}
	change := func(t *testing.T, doc map[string]any, kind string) map[string]any {
		t.Helper()
		for _, c := range doc["plan"].(map[string]any)["changes"].([]any) {
			if c := c.(map[string]any); c["kind"] == kind {
				return c
			}
		}
		t.Fatalf("the document has no %s change", kind)
		return nil
	}
	rename := func(t *testing.T, m map[string]any, from, to string) {
		t.Helper()
		if _, ok := m[from]; !ok {
			t.Fatalf("no field %q to rename in %v", from, m)
		}
		m[to] = m[from]
		delete(m, from)
	}
	tests := map[string]struct {
		doc    []byte
		mutate func(t *testing.T, doc map[string]any)
	}{
		"summary field misspelt":   {valid, func(t *testing.T, d map[string]any) { rename(t, d["summary"].(map[string]any), "in_sync", "insync") }},
		"top-level field misspelt": {valid, func(t *testing.T, d map[string]any) { rename(t, d, "format_version", "formatVersion") }},
		"plan field misspelt":      {valid, func(t *testing.T, d map[string]any) { rename(t, d["plan"].(map[string]any), "policy", "policy_path") }},
		"change field misspelt":    {valid, func(t *testing.T, d map[string]any) { rename(t, change(t, d, "create-key"), "details", "detail") }},
		"before_value misspelt": {valid, func(t *testing.T, d map[string]any) {
			rename(t, change(t, d, "enable-key-rotation"), "before_value", "before_val")
		}},
		"rule field misspelt": {valid, func(t *testing.T, d map[string]any) {
			rename(t, change(t, d, "set-default-encryption")["rule"].(map[string]any), "bucket_key", "bucketKey")
		}},
		"structured rule field misspelt": {valid, func(t *testing.T, d map[string]any) {
			rename(t, change(t, d, "enable-bucket-key")["before_value"].(map[string]any), "kms_key_arn", "kms_key")
		}},
		"key field misspelt": {valid, func(t *testing.T, d map[string]any) {
			rename(t, change(t, d, "create-key")["key"].(map[string]any), "tags", "tag")
		}},
		"bucket objects field misspelt": {valid, func(t *testing.T, d map[string]any) {
			rename(t, d["plan"].(map[string]any)["buckets"].([]any)[1].(map[string]any)["objects"].(map[string]any), "to_fix", "tofix")
		}},
		"finding field misspelt": {withObjects, func(t *testing.T, d map[string]any) {
			rename(t, d["objects"].([]any)[1].(map[string]any), "version_id", "versionId")
		}},
		"unknown change kind": {valid, func(t *testing.T, d map[string]any) { change(t, d, "create-key")["kind"] = "create-alias" }},
		"unknown blocker code": {valid, func(t *testing.T, d map[string]any) {
			d["plan"].(map[string]any)["blockers"].([]any)[0].(map[string]any)["code"] = "deleted-principal"
		}},
		"unknown warning code": {valid, func(t *testing.T, d map[string]any) {
			d["plan"].(map[string]any)["warnings"].([]any)[0].(map[string]any)["code"] = "bucket-policy"
		}},
		"unknown object kind":    {withObjects, func(t *testing.T, d map[string]any) { d["objects"].([]any)[0].(map[string]any)["kind"] = "sse-c" }},
		"unknown format version": {valid, func(t *testing.T, d map[string]any) { d["format_version"] = "2" }},
		"no sseguard version":    {valid, func(t *testing.T, d map[string]any) { delete(d, "sseguard_version") }},
		"empty sseguard version": {valid, func(t *testing.T, d map[string]any) { d["sseguard_version"] = "" }},
		"rotation turned off": {valid, func(t *testing.T, d map[string]any) {
			change(t, d, "enable-key-rotation")["after_value"] = map[string]any{"rotation": false}
		}},
		"policy value of the wrong shape": {valid, func(t *testing.T, d map[string]any) {
			change(t, d, "update-key-policy")["after_value"] = change(t, d, "update-key-policy")["document"]
		}},
		"required field missing": {valid, func(t *testing.T, d map[string]any) {
			delete(d["plan"].(map[string]any)["blockers"].([]any)[0].(map[string]any), "message")
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var doc map[string]any
			if err := json.Unmarshal(tc.doc, &doc); err != nil {
				t.Fatal(err)
			}
			tc.mutate(t, doc)
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			err = sch.Validate(decodeInstance(t, b))
			var verr *jsonschema.ValidationError
			if !errors.As(err, &verr) {
				t.Errorf("the schema accepts the document (err %v)", err)
			}
		})
	}
}

// TestJSONTypesMatchSchema checks the output types and the schema name the same fields, and
// that the schema requires exactly the fields the types always write.
func TestJSONTypesMatchSchema(t *testing.T) {
	t.Parallel()
	schema := readSchema(t)
	defs := schema["$defs"].(map[string]any)
	types := map[string]any{
		"": Document{}, "summary": Summary{}, "plan": Plan{}, "bucket": Bucket{},
		"object_counts": ObjectCounts{}, "object_sample": ObjectSample{}, "change": Change{}, "rule": Rule{},
		"grant": Grant{}, "key": Key{}, "blocker": Blocker{}, "warning": Warning{}, "result": Result{},
		"object_finding": ObjectFinding{}, "policy_value": PolicyValue{}, "rotation_value": RotationValue{},
		"objects_value": ObjectsValue{}, "unmanaged": Unmanaged{}, "unmanaged_bucket": UnmanagedBucket{},
		"reader": Reader{}, "replication": Replication{}, "replication_rule": ReplicationRule{},
	}
	for def, v := range types {
		t.Run(fmt.Sprintf("%T", v), func(t *testing.T) {
			s := schema
			if def != "" {
				s = defs[def].(map[string]any)
			}
			if s["additionalProperties"] != false {
				t.Errorf("$defs/%s allows fields it does not name", def)
			}
			var props, required []string
			for name := range s["properties"].(map[string]any) {
				props = append(props, name)
			}
			for _, r := range s["required"].([]any) {
				required = append(required, r.(string))
			}
			var fields, always []string
			rt := reflect.TypeOf(v)
			for i := range rt.NumField() {
				name, opts, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
				fields = append(fields, name)
				if opts == "" {
					always = append(always, name)
				}
			}
			sort.Strings(props)
			sort.Strings(fields)
			if diff := cmp.Diff(fields, props); diff != "" {
				t.Errorf("fields of %T (-) and properties of $defs/%s (+) differ:\n%s", v, def, diff)
			}
			sort.Strings(required)
			sort.Strings(always)
			if diff := cmp.Diff(always, required); diff != "" {
				t.Errorf("fields %T always writes (-) and those $defs/%s requires (+) differ:\n%s", v, def, diff)
			}
		})
	}
}

func readSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	return schema
}

// stringConsts returns the string constants declared in the non-test files of dir, by name,
// with their type name ("" for untyped constants).
func stringConsts(t *testing.T, dir string) map[string][2]string {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]string{}
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				typ := ""
				if id, ok := vs.Type.(*ast.Ident); ok {
					typ = id.Name
				}
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					val, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					out[name.Name] = [2]string{val, typ}
				}
			}
		}
	}
	return out
}

// valuesOf returns the sorted values of the constants of type typ whose name starts with prefix.
func valuesOf(consts map[string][2]string, prefix, typ string) []string {
	var out []string
	for name, c := range consts {
		if strings.HasPrefix(name, prefix) && c[1] == typ {
			out = append(out, c[0])
		}
	}
	sort.Strings(out)
	return out
}

// TestJSONSchemaEnumsMatchCodes checks every enumeration of the schema against the constants
// of the packages that produce the values, so a code added there cannot be left out here.
func TestJSONSchemaEnumsMatchCodes(t *testing.T) {
	t.Parallel()
	defs := readSchema(t)["$defs"].(map[string]any)
	enum := func(s map[string]any) []string {
		var out []string
		for _, v := range s["enum"].([]any) {
			out = append(out, v.(string))
		}
		sort.Strings(out)
		return out
	}
	def := func(path ...string) map[string]any {
		s := defs
		for _, p := range path {
			s = s[p].(map[string]any)
		}
		return s
	}
	planConsts := stringConsts(t, filepath.Join("..", "plan"))
	objectConsts := stringConsts(t, filepath.Join("..", "objects"))
	iamConsts := stringConsts(t, filepath.Join("..", "iampolicy"))
	findingKinds := def("object_finding", "properties", "kind")["anyOf"].([]any)[1].(map[string]any)
	tests := map[string]struct {
		schema, code []string
	}{
		"blocker codes":   {enum(def("blocker_code")), valuesOf(planConsts, "Block", "")},
		"warning codes":   {enum(def("warning_code")), valuesOf(planConsts, "Warn", "")},
		"change kinds":    {enum(def("change_kind")), valuesOf(planConsts, "", "Kind")},
		"outcomes":        {enum(def("outcome")), valuesOf(planConsts, "", "Outcome")},
		"bucket status":   {enum(def("bucket", "properties", "status")), valuesOf(planConsts, "", "Status")},
		"reader verdicts": {enum(def("reader_verdict")), valuesOf(planConsts, "Reader", "ReaderVerdict")},
		"reader kinds":    {enum(def("reader", "properties", "kind")), valuesOf(iamConsts, "Reader", "ReaderKind")},
		"object kinds":    {append(enum(def("object_kind")), enum(findingKinds)...), append(valuesOf(objectConsts, "Kind", ""), "")},
		"skip reasons":    {enum(def("skip_reason")), valuesOf(objectConsts, "Reason", "")},
		"object actions":  {enum(def("object_finding", "properties", "action")), valuesOf(objectConsts, "Action", "")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if len(tc.code) < 3 {
				t.Fatalf("found only %v in the code: were the constants moved?", tc.code)
			}
			sort.Strings(tc.schema)
			sort.Strings(tc.code)
			if diff := cmp.Diff(tc.code, tc.schema); diff != "" {
				t.Errorf("constants (-) and the schema's enum (+) differ:\n%s", diff)
			}
		})
	}
}

// TestJSONStructuredValues checks each kind's before_value and after_value.
func TestJSONStructuredValues(t *testing.T) {
	t.Parallel()
	p := fxPolicies()
	doc, err := New(p, nil, testOptions(ModePlan))
	if err != nil {
		t.Fatal(err)
	}
	const absent = "absent"
	show := func(raw json.RawMessage) string {
		if raw == nil {
			return absent
		}
		return string(raw)
	}
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	tests := map[string]struct{ before, after string }{
		"create-key/us-east-1/alias/hls-adaptive-key": {"null",
			`{"alias":"alias/hls-adaptive-key","description":"HLS renditions","tags":{"cost-center":"42","team":"media"},"policy":` + quote(fxKeyPolicyAfter) + `}`},
		"update-key-policy/us-east-1/" + plantest.KeyARN:       {`{"policy":` + quote(fxKeyPolicyBefore) + `}`, `{"policy":` + quote(fxKeyPolicyAfter) + `}`},
		"enable-key-rotation/us-east-1/alias/hls-adaptive-key": {`{"rotation":false}`, `{"rotation":true}`},
		"enable-key-rotation/us-east-1/" + plantest.KeyARN:     {`{"rotation":false}`, `{"rotation":true}`},
		"enable-bucket-key/build-logs": {`{"algorithm":"aws:kms","kms_key_arn":"` + plantest.KeyARN + `","bucket_key":false}`,
			`{"algorithm":"aws:kms","kms_key_arn":"` + plantest.KeyARN + `","bucket_key":true}`},
		// The plan keeps the replaced rule as prose only.
		"set-default-encryption/media-hls": {`{"algorithm":"AES256","bucket_key":false}`,
			`{"algorithm":"aws:kms","alias":"alias/hls-adaptive-key","bucket_key":true,"blocked_encryption_types":["SSE-C"]}`},
		"update-bucket-policy/build-logs": {`{"policy":` + quote(fxBucketPolicyBefore) + `}`, "null"},
		"update-bucket-policy/media-hls":  {"null", `{"policy":` + quote(fxBucketPolicyAfter) + `}`},
		"reencrypt-objects/build-logs": {`{"scanned":310,"compliant":2,"to_fix":{"bucket-key-off":300,"other-kms-key":7},"skipped":{"object-lock":1}}`,
			`{"scanned":310,"compliant":309,"to_fix":{},"skipped":{"object-lock":1}}`},
		// Apply scans and re-encrypts in one pass: nothing is counted when planning.
		"reencrypt-objects/media-hls": {absent, absent},
	}
	if len(doc.Plan.Changes) != len(tests) {
		t.Fatalf("%d changes, %d cases", len(doc.Plan.Changes), len(tests))
	}
	for _, c := range doc.Plan.Changes {
		tc, ok := tests[c.ID]
		if !ok {
			t.Errorf("no case for change %s", c.ID)
			continue
		}
		if got := show(c.BeforeValue); got != tc.before {
			t.Errorf("%s before_value = %s, want %s", c.ID, got, tc.before)
		}
		if got := show(c.AfterValue); got != tc.after {
			t.Errorf("%s after_value = %s, want %s", c.ID, got, tc.after)
		}
	}
}

func TestNewRefusesAnUnknownMode(t *testing.T) {
	t.Parallel()
	if _, err := New(plantest.InSync(), nil, testOptions("dry-run")); err == nil {
		t.Error("a document was made in mode dry-run, which the format does not have")
	}
}

func TestWriteRefusesBrokenFindings(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"not JSON":         "{broken\n",
		"null":             "null\n",
		"an array":         `[{"bucket":"b","key":"k"}]` + "\n",
		"a size as text":   `{"bucket":"b","key":"k","kind":"sse-s3","size":"12","action":"would-fix"}` + "\n",
		"after a good one": `{"bucket":"b","key":"k","kind":"sse-s3","size":1,"action":"would-fix"}` + "\n" + "3\n",
	}
	for name, stream := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := Write(io.Discard, plantest.InSync(), nil, strings.NewReader(stream), testOptions(ModePlan)); err == nil {
				t.Error("a broken finding line was written into the JSON document")
			}
		})
	}
}

// findingStream yields n finding lines, and records how much of the document was written
// when it yielded its last line.
type findingStream struct {
	n, sent    int
	out        *bytes.Buffer
	writtenMid int
	pending    []byte
}

func (s *findingStream) Read(p []byte) (int, error) {
	if len(s.pending) == 0 {
		if s.sent == s.n {
			return 0, io.EOF
		}
		s.sent++
		if s.sent == s.n {
			s.writtenMid = s.out.Len()
		}
		s.pending = fmt.Appendf(nil, `{"bucket":"b","key":"videos/%06d.ts","kind":"sse-s3","size":1,"action":"would-fix"}`+"\n", s.sent)
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

// TestWriteStreams checks findings reach the writer while the stream is still being
// read: they are not collected first.
func TestWriteStreams(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s := &findingStream{n: 20000, out: &out}
	if err := Write(&out, plantest.InSync(), nil, s, testOptions(ModePlan)); err != nil {
		t.Fatal(err)
	}
	if s.writtenMid < out.Len()/2 {
		t.Errorf("%d of %d bytes were written before the last finding was read", s.writtenMid, out.Len())
	}
	var doc Document
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Objects) != s.n || doc.Objects[s.n-1].Key != fmt.Sprintf("videos/%06d.ts", s.n) {
		t.Errorf("%d objects, last %+v", len(doc.Objects), doc.Objects[len(doc.Objects)-1])
	}
}

// TestPlanFormatNamesEveryCode: docs/plan-format.md explains every blocker and warning code the
// plan can give, as the schema enumerates them.
func TestPlanFormatNamesEveryCode(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "plan-format.md"))
	if err != nil {
		t.Fatal(err)
	}
	planConsts := stringConsts(t, filepath.Join("..", "plan"))
	codes := append(valuesOf(planConsts, "Block", ""), valuesOf(planConsts, "Warn", "")...)
	if len(codes) < 20 {
		t.Fatalf("found only %d codes", len(codes))
	}
	for _, c := range codes {
		if !strings.Contains(string(doc), "`"+c+"`") {
			t.Errorf("docs/plan-format.md does not explain %q", c)
		}
	}
}

// TestPlanFormatNamesEveryField: docs/plan-format.md explains every member the schema describes,
// at the top of the document and in each object of a fixed shape.
func TestPlanFormatNamesEveryField(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "plan-format.md"))
	if err != nil {
		t.Fatal(err)
	}
	schema := readSchema(t)
	objects := map[string]map[string]any{"the document": schema}
	for name, def := range schema["$defs"].(map[string]any) {
		objects[name] = def.(map[string]any)
	}
	n := 0
	for where, s := range objects {
		props, _ := s["properties"].(map[string]any)
		for name := range props {
			n++
			// As a member (`name`), an array member (`name[]`), or in an example value ("name").
			if !strings.Contains(string(doc), "`"+name+"`") && !strings.Contains(string(doc), "`"+name+"[]`") && !strings.Contains(string(doc), `"`+name+`"`) {
				t.Errorf("docs/plan-format.md does not explain %s's %q", where, name)
			}
		}
	}
	if n < 100 {
		t.Fatalf("found only %d members in the schema", n)
	}
}

// TestOneJSONContract: the JSON plan's shape is declared here only. Package plan's and state's
// types carry no JSON tags: nothing marshals them, and a tag there would be a second, unchecked
// description of the document.
func TestOneJSONContract(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	checked := 0
	for _, dir := range []string{filepath.Join("..", "plan"), filepath.Join("..", "state")} {
		paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			ast.Inspect(f, func(n ast.Node) bool {
				if field, ok := n.(*ast.Field); ok && field.Tag != nil && strings.Contains(field.Tag.Value, "json:") {
					t.Errorf("%s: a JSON tag %s (the JSON plan's types are package jsonplan's)", fset.Position(field.Pos()), field.Tag.Value)
				}
				return true
			})
		}
	}
	if checked < 20 {
		t.Fatalf("read only %d files of packages plan and state", checked)
	}
}
