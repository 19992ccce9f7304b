package s3controltest

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The stand-in's types and enumerations are checked against the S3 Control model the AWS SDKs are
// generated from: botocore's data/s3control/2018-08-20/service-2.json(.gz). It is installed with
// the AWS CLI every test machine has; SSEGUARD_BOTOCORE_DATA names another data directory.

type modelShape struct {
	Type     string `json:"type"`
	Required []string
	Members  map[string]struct {
		Shape        string `json:"shape"`
		LocationName string `json:"locationName"`
		Location     string `json:"location"`
	} `json:"members"`
	Member *struct {
		Shape        string `json:"shape"`
		LocationName string `json:"locationName"`
	} `json:"member"`
	Enum []string `json:"enum"`
}

func loadModel(t *testing.T) map[string]modelShape {
	t.Helper()
	dir := os.Getenv("SSEGUARD_BOTOCORE_DATA")
	if dir == "" {
		out, err := exec.Command("python3", "-c", "import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), 'data'))").Output()
		if err != nil {
			t.Fatalf("botocore (which carries S3 Control's API model) is not installed for python3: install it with `pip install botocore` (or the AWS CLI), or set SSEGUARD_BOTOCORE_DATA: %v", err)
		}
		dir = strings.TrimSpace(string(out))
	}
	base := filepath.Join(dir, "s3control", "2018-08-20", "service-2.json")
	var raw []byte
	if f, err := os.Open(base + ".gz"); err == nil {
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if _, err := ioCopy(&b, zr); err != nil {
			t.Fatal(err)
		}
		raw = []byte(b.String())
	} else if raw, err = os.ReadFile(base); err != nil {
		t.Fatalf("no S3 Control model at %s(.gz): install botocore (`pip install botocore`) or set SSEGUARD_BOTOCORE_DATA", base)
	}
	var m struct {
		Shapes map[string]modelShape `json:"shapes"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.Shapes
}

// xmlTag is a field's xml tag name (before any option).
func xmlTag(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("xml"), ",")
	return tag
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// conforms checks that goType carries every member of the model's shape name with the model's XML
// form, recursively; problems are reported under path.
func conforms(t *testing.T, model map[string]modelShape, name string, goType reflect.Type, path string, seen map[string]bool) {
	t.Helper()
	s, ok := model[name]
	if !ok {
		t.Fatalf("%s: no shape %s in the model", path, name)
	}
	goType = deref(goType)
	switch s.Type {
	case "structure":
		if goType.Kind() != reflect.Struct {
			t.Errorf("%s (%s): a structure in the model, %s here", path, name, goType)
			return
		}
		key := name + "/" + goType.String()
		if seen[key] {
			return
		}
		seen[key] = true
		for member, ms := range s.Members {
			if ms.Location != "" {
				continue // a header, URI or query parameter, not the body
			}
			elem := member
			if ms.LocationName != "" {
				elem = ms.LocationName
			}
			conformsMember(t, model, ms.Shape, elem, goType, path+"."+member, seen)
		}
	default:
		checkScalar(t, s.Type, goType, path)
	}
}

// conformsMember finds the field of parent for one member and checks it.
func conformsMember(t *testing.T, model map[string]modelShape, shape, elem string, parent reflect.Type, path string, seen map[string]bool) {
	t.Helper()
	s := model[shape]
	for i := 0; i < parent.NumField(); i++ {
		f := parent.Field(i)
		tag := xmlTag(f)
		first, rest, nested := strings.Cut(tag, ">")
		if first != elem {
			continue
		}
		switch s.Type {
		case "list":
			item := "member"
			if s.Member.LocationName != "" {
				item = s.Member.LocationName
			}
			ft := deref(f.Type)
			switch {
			case nested && rest == item && ft.Kind() == reflect.Slice:
				conforms(t, model, s.Member.Shape, ft.Elem(), path+"[]", seen)
			case !nested && ft.Kind() == reflect.Struct && ft.NumField() == 1 && xmlTag(ft.Field(0)) == item && ft.Field(0).Type.Kind() == reflect.Slice:
				conforms(t, model, s.Member.Shape, ft.Field(0).Type.Elem(), path+"[]", seen)
			default:
				t.Errorf("%s: a list of <%s> in the model; the field %s is tagged %q (%s)", path, item, f.Name, tag, f.Type)
			}
		case "map":
			ft := deref(f.Type)
			var entries reflect.Type
			switch {
			case nested && rest == "entry" && ft.Kind() == reflect.Slice:
				entries = ft.Elem()
			case !nested && ft.Kind() == reflect.Struct && ft.NumField() == 1 && xmlTag(ft.Field(0)) == "entry" && ft.Field(0).Type.Kind() == reflect.Slice:
				entries = ft.Field(0).Type.Elem()
			}
			if entries == nil || entries.NumField() != 2 || xmlTag(entries.Field(0)) != "key" || xmlTag(entries.Field(1)) != "value" {
				t.Errorf("%s: a map (<entry><key/><value/></entry>) in the model; the field %s is tagged %q (%s)", path, f.Name, tag, f.Type)
			}
		default:
			if nested {
				t.Errorf("%s: the field %s is tagged %q, a nested path, for a %s", path, f.Name, tag, s.Type)
				return
			}
			conforms(t, model, shape, f.Type, path, seen)
		}
		return
	}
	t.Errorf("%s: the model's member <%s> (%s) has no field here (%s)", path, elem, shape, parent)
}

func checkScalar(t *testing.T, kind string, goType reflect.Type, path string) {
	t.Helper()
	want := map[string][]reflect.Kind{
		"string": {reflect.String}, "timestamp": {reflect.String}, "boolean": {reflect.Bool},
		"integer": {reflect.Int32, reflect.Int}, "long": {reflect.Int64},
	}[kind]
	if want == nil {
		t.Errorf("%s: model type %s not handled by the test", path, kind)
		return
	}
	if !slices.Contains(want, goType.Kind()) {
		t.Errorf("%s: a %s in the model, %s here", path, kind, goType)
	}
}

func TestTypesFollowTheModel(t *testing.T) {
	model := loadModel(t)
	seen := map[string]bool{}
	for shape, v := range map[string]any{
		"CreateJobRequest":      CreateJobRequest{},
		"JobDescriptor":         jobDescriptor{},
		"JobListDescriptor":     jobListDescriptor{},
		"ListJobsResult":        listJobsResult{},
		"CreateJobResult":       createJobResult{},
		"JobProgressSummary":    progressSummary{},
		"JobFailure":            failureReason{},
		"UpdateJobStatusResult": updateJobStatusResult{},
		"GetJobTaggingResult":   getJobTaggingResult{},
	} {
		conforms(t, model, shape, reflect.TypeOf(v), shape, seen)
	}
}

func TestEnumsFollowTheModel(t *testing.T) {
	model := loadModel(t)
	for shape, ours := range map[string][]string{
		"JobStatus": jobStatuses, "S3StorageClass": storageClasses, "S3CannedAccessControlList": cannedACLs,
		"S3MetadataDirective": metadataDirectives, "S3SSEAlgorithm": sseAlgorithms, "S3ChecksumAlgorithm": checksumAlgorithms,
		"S3Permission": permissions, "S3GranteeTypeIdentifier": granteeTypes, "S3ObjectLockLegalHoldStatus": legalHoldStatuses,
		"S3ObjectLockMode": lockModes, "JobReportFormat": reportFormats, "JobReportScope": reportScopes,
		"JobManifestFormat": manifestFormats, "GeneratedManifestFormat": generatedFormats, "ReplicationStatus": replicationStatus,
	} {
		want := slices.Clone(model[shape].Enum)
		got := slices.Clone(ours)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the stand-in accepts %v, the model %v", shape, got, want)
		}
	}
}

func ioCopy(b *strings.Builder, r *gzip.Reader) (int64, error) { return io.Copy(b, r) }
