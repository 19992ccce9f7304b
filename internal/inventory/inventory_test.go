package inventory

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"
)

const docSchema = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus"

// The manifest the Amazon S3 User Guide shows for a CSV inventory.
const docManifest = `{
    "sourceBucket": "example-source-bucket",
    "destinationBucket": "arn:aws:s3:::example-inventory-destination-bucket",
    "version": "2016-11-30",
    "creationTimestamp" : "1514944800000",
    "fileFormat": "CSV",
    "fileSchema": "` + docSchema + `",
    "files": [
        {
            "key": "Inventory/example-source-bucket/2016-11-06T21-32Z/files/939c6d46-85a9-4ba8-87bd-9db705a579ce.csv.gz",
            "size": 2147483647,
            "MD5checksum": "f11166069f1990abeb9c97ace9cdfabc"
        }
    ]
}`

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest([]byte(docManifest))
	if err != nil {
		t.Fatal(err)
	}
	created, _ := m.Created()
	if m.SourceBucket != "example-source-bucket" || m.FileFormat != FormatCSV || len(m.Files) != 1 || m.Files[0].Size != 2147483647 ||
		!created.Equal(time.UnixMilli(1514944800000)) {
		t.Errorf("parsed %+v (created %v)", m, created)
	}
	bad := map[string]struct{ in, want string }{
		"not json":         {`{`, "not the documented JSON"},
		"no source":        {`{"fileFormat":"CSV","creationTimestamp":"1"}`, "no sourceBucket"},
		"no format":        {`{"sourceBucket":"b","creationTimestamp":"1"}`, "no fileFormat"},
		"bad timestamp":    {`{"sourceBucket":"b","fileFormat":"CSV","creationTimestamp":"yesterday"}`, "not milliseconds"},
		"bad md5":          {`{"sourceBucket":"b","fileFormat":"CSV","creationTimestamp":"1","files":[{"key":"k","size":1,"MD5checksum":"zz"}]}`, "not 32 hex digits"},
		"negative size":    {`{"sourceBucket":"b","fileFormat":"CSV","creationTimestamp":"1","files":[{"key":"k","size":-1,"MD5checksum":"f11166069f1990abeb9c97ace9cdfabc"}]}`, "negative size"},
		"file without key": {`{"sourceBucket":"b","fileFormat":"CSV","creationTimestamp":"1","files":[{"size":1}]}`, "has no key"},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseManifest([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestReadGzipCSV(t *testing.T) {
	s, err := ParseSchema(docSchema)
	if err != nil {
		t.Fatal(err)
	}
	data := `"b","a%2Fb+c%0A","v1","true","false","12","2024-01-01T00:00:00.000Z","abc","STANDARD","false","","SSE-KMS","","",""` + "\n" +
		`"b","old","v0","false","false","3","2024-01-01T00:00:00.000Z","def","GLACIER","false","","NOT-SSE","","","Off"` + "\n"
	var rows []Row
	if err := ReadGzipCSV(bytes.NewReader(gz(t, data)), "f.csv.gz", s, func(r Row) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Key != "a/b c\n" || rows[0].Size != 12 || rows[0].EncryptionStatus != "SSE-KMS" || !rows[0].IsLatest ||
		rows[1].IsLatest || rows[1].StorageClass != "GLACIER" {
		t.Errorf("rows %+v", rows)
	}
	bad := map[string]struct{ in, want string }{
		"too few columns": {`"b","k"` + "\n", `row 1: wrong number of fields`},
		"bad size":        {`"b","k","","true","false","x","","","","","","SSE-S3","","",""` + "\n", `row 1: size "x"`},
		"bad key":         {`"b","%zz","","true","false","1","","","","","","SSE-S3","","",""` + "\n", `row 1: key is not URL-encoded`},
		"bad bool":        {`"b","k","","maybe","false","1","","","","","","SSE-S3","","",""` + "\n", `row 1: IsLatest`},
		"second row":      {`"b","k","","true","false","1","","","","","","SSE-S3","","",""` + "\n" + `"b",""` + "\n", `row 2:`},
		"endless row":     {strings.Repeat("x", MaxLine+10), `row 1: a row is longer`},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			err := ReadGzipCSV(bytes.NewReader(gz(t, tc.in)), "f.csv.gz", s, func(Row) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `"f.csv.gz"`) {
				t.Errorf("got %v, want an error naming the file with %q", err, tc.want)
			}
		})
	}
	if err := ReadGzipCSV(strings.NewReader("plain"), "f", s, func(Row) error { return nil }); err == nil || !strings.Contains(err.Error(), "not gzip") {
		t.Errorf("plain text: got %v", err)
	}
}

func TestParseSchema(t *testing.T) {
	for in, want := range map[string]string{"Key": "no Bucket", "Bucket, Bucket, Key": "twice", "Bucket,,Key": "empty", "Bucket, Key": ""} {
		_, err := ParseSchema(in)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("ParseSchema(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestDeliveryFolder(t *testing.T) {
	if got, ok := DeliveryFolder("2016-11-06T21-32Z"); !ok || !got.Equal(time.Date(2016, 11, 6, 21, 32, 0, 0, time.UTC)) {
		t.Errorf("got %v %v", got, ok)
	}
	for _, s := range []string{"hive", "data", "2016-11-06", "2016-13-06T21-32Z"} {
		if _, ok := DeliveryFolder(s); ok {
			t.Errorf("%q parsed as a delivery", s)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(docManifest))
	f.Add([]byte(`{"files":[{}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err == nil {
			if m.SourceBucket == "" || m.FileFormat == "" {
				t.Errorf("accepted a manifest without source or format: %+v", m)
			}
			ParseSchema(m.FileSchema)
		}
	})
}

func FuzzReadCSV(f *testing.F) {
	f.Add(docSchema, `"b","a%2Fb","v1","true","false","12","","abc","STANDARD","false","","SSE-KMS","","",""`+"\n")
	f.Add("Bucket, Key, Size", "b,k,1\nb,\"k\n2\",x\n")
	f.Fuzz(func(t *testing.T, schema, data string) {
		s, err := ParseSchema(schema)
		if err != nil {
			return
		}
		ReadCSV(strings.NewReader(data), "f", s, func(r Row) error {
			if r.Key == "" || r.Size < 0 {
				t.Errorf("accepted row %+v", r)
			}
			return nil
		})
	})
}
