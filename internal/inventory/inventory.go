// Package inventory reads Amazon S3 Inventory deliveries: the manifest.json of a delivery and its
// gzipped CSV data files. It does no I/O of its own (callers hand it bytes and readers), and it
// treats every byte as untrusted: sizes are bounded, every field is checked, and a malformed
// manifest or row is an error naming the file and the row, never a panic.
//
// The layout and fields follow the Amazon S3 User Guide, "Amazon S3 Inventory" / "Locating your
// inventory list" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html):
//
//	destination-prefix/source-bucket/config-ID/YYYY-MM-DDTHH-MMZ/manifest.json
//	destination-prefix/source-bucket/config-ID/YYYY-MM-DDTHH-MMZ/manifest.checksum
//
// where the timestamp is when the inventory began scanning the bucket, and manifest.json holds
// sourceBucket, destinationBucket (an ARN), version, creationTimestamp (milliseconds since the
// epoch, as a string), fileFormat (CSV, ORC or Parquet), fileSchema (for CSV the column names,
// comma separated, in the order of every row; the data files carry no header row) and files
// (key, size, MD5checksum of each data file). "When using the CSV file format, the key name is
// URL-encoded and must be decoded before you can use it."
package inventory

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limits on what a delivery may hold.
const (
	// MaxManifestSize bounds manifest.json. A manifest lists data files, each up to gigabytes;
	// a million entries fit well within it.
	MaxManifestSize = 64 << 20
	// MaxFiles bounds the data files one manifest may list.
	MaxFiles = 100000
	// MaxLine bounds one CSV row, decompressed. An object key is at most 1,024 bytes (three
	// times that URL-encoded); the other columns are short.
	MaxLine = 64 << 10
)

// Formats a manifest may name (fileFormat).
const (
	FormatCSV     = "CSV"
	FormatORC     = "ORC"
	FormatParquet = "Parquet"
)

// Column names of a CSV fileSchema (the inventory configuration's field names).
const (
	ColBucket           = "Bucket"
	ColKey              = "Key"
	ColVersionID        = "VersionId"
	ColIsLatest         = "IsLatest"
	ColIsDeleteMarker   = "IsDeleteMarker"
	ColSize             = "Size"
	ColETag             = "ETag"
	ColStorageClass     = "StorageClass"
	ColEncryptionStatus = "EncryptionStatus"
	ColBucketKeyStatus  = "BucketKeyStatus"
	ColLockRetainUntil  = "ObjectLockRetainUntilDate"
	ColLockMode         = "ObjectLockMode"
	ColLegalHold        = "ObjectLockLegalHoldStatus"
	ColTieringTier      = "IntelligentTieringAccessTier"
)

// File is one data file a manifest lists.
type File struct {
	Key         string `json:"key"`
	Size        int64  `json:"size"`
	MD5Checksum string `json:"MD5checksum"`
}

// Manifest is a delivery's manifest.json.
type Manifest struct {
	SourceBucket      string `json:"sourceBucket"`
	DestinationBucket string `json:"destinationBucket"`
	Version           string `json:"version"`
	CreationTimestamp string `json:"creationTimestamp"`
	FileFormat        string `json:"fileFormat"`
	FileSchema        string `json:"fileSchema"`
	Files             []File `json:"files"`
}

// ParseManifest parses and checks a manifest.json. It checks the shape only; whether the
// manifest is for the right bucket is the caller's to judge.
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > MaxManifestSize {
		return nil, fmt.Errorf("manifest is %d bytes, more than the %d accepted", len(data), MaxManifestSize)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest is not the documented JSON: %w", err)
	}
	switch {
	case m.SourceBucket == "":
		return nil, errors.New("manifest names no sourceBucket")
	case m.FileFormat == "":
		return nil, errors.New("manifest names no fileFormat")
	case len(m.Files) > MaxFiles:
		return nil, fmt.Errorf("manifest lists %d files, more than the %d accepted", len(m.Files), MaxFiles)
	}
	if _, err := m.Created(); err != nil {
		return nil, err
	}
	for i, f := range m.Files {
		if f.Key == "" {
			return nil, fmt.Errorf("manifest file %d has no key", i+1)
		}
		if f.Size < 0 {
			return nil, fmt.Errorf("manifest file %d (%q) has a negative size", i+1, f.Key)
		}
		if b, err := hex.DecodeString(f.MD5Checksum); err != nil || len(b) != 16 {
			return nil, fmt.Errorf("manifest file %d (%q): MD5checksum %q is not 32 hex digits", i+1, f.Key, f.MD5Checksum)
		}
	}
	return &m, nil
}

// Created is the manifest's creationTimestamp: when the inventory began scanning the bucket.
func (m *Manifest) Created() (time.Time, error) {
	ms, err := strconv.ParseInt(strings.TrimSpace(m.CreationTimestamp), 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}, fmt.Errorf("manifest creationTimestamp %q is not milliseconds since the epoch", m.CreationTimestamp)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// Schema is the column order of a CSV inventory.
type Schema struct {
	cols  []string
	index map[string]int
}

// ParseSchema reads a CSV fileSchema ("Bucket, Key, Size, ..."). Bucket and Key are always
// there; a column named twice is refused.
func ParseSchema(s string) (Schema, error) {
	sc := Schema{index: map[string]int{}}
	for i, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			return Schema{}, fmt.Errorf("fileSchema column %d is empty", i+1)
		}
		if _, dup := sc.index[c]; dup {
			return Schema{}, fmt.Errorf("fileSchema names column %q twice", c)
		}
		sc.index[c] = i
		sc.cols = append(sc.cols, c)
	}
	for _, need := range []string{ColBucket, ColKey} {
		if !sc.Has(need) {
			return Schema{}, fmt.Errorf("fileSchema has no %s column", need)
		}
	}
	return sc, nil
}

// Has says whether the schema holds the column.
func (s Schema) Has(col string) bool {
	_, ok := s.index[col]
	return ok
}

// Len is the number of columns.
func (s Schema) Len() int { return len(s.cols) }

// Row is one object of an inventory list, decoded. Fields whose column the schema lacks are
// empty; Has says which are present.
type Row struct {
	Bucket, Key, VersionID string
	// IsLatest is true when the schema has no IsLatest column (a current-versions inventory).
	IsLatest, IsDeleteMarker bool
	Size                     int64
	ETag, StorageClass       string
	// EncryptionStatus is as written: SSE-S3, SSE-C, SSE-KMS, DSSE-KMS or NOT-SSE.
	EncryptionStatus string
	// BucketKeyStatus is ENABLED or DISABLED.
	BucketKeyStatus string
	LockMode        string
	LockRetainUntil string
	LegalHold       string
	TieringTier     string
}

// ReadGzipCSV reads one gzipped CSV data file, calling fn for every row in order. file names
// the data file in errors; row numbers count from 1. An error from fn stops the read and is
// returned as it is.
func ReadGzipCSV(r io.Reader, file string, s Schema, fn func(Row) error) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("inventory file %q: not gzip: %w", file, err)
	}
	defer zr.Close()
	return ReadCSV(zr, file, s, fn)
}

// ReadCSV is ReadGzipCSV on an uncompressed stream.
func ReadCSV(r io.Reader, file string, s Schema, fn func(Row) error) error {
	cr := csv.NewReader(&lineLimit{r: bufio.NewReader(r), max: MaxLine})
	cr.FieldsPerRecord = s.Len()
	cr.ReuseRecord = true
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fmt.Errorf("inventory file %q: row %d: %v", file, n, pe.Err)
			}
			return fmt.Errorf("inventory file %q: row %d: %w", file, n, err)
		}
		row, err := s.row(rec)
		if err != nil {
			return fmt.Errorf("inventory file %q: row %d: %w", file, n, err)
		}
		if err := fn(row); err != nil {
			return err
		}
	}
}

func (s Schema) get(rec []string, col string) string {
	if i, ok := s.index[col]; ok {
		return rec[i]
	}
	return ""
}

func (s Schema) row(rec []string) (Row, error) {
	r := Row{IsLatest: true}
	r.Bucket = s.get(rec, ColBucket)
	key, err := url.QueryUnescape(s.get(rec, ColKey))
	if err != nil {
		return Row{}, fmt.Errorf("key is not URL-encoded: %v", err)
	}
	if key == "" {
		return Row{}, errors.New("empty key")
	}
	r.Key = key
	r.VersionID = s.get(rec, ColVersionID)
	if s.Has(ColIsLatest) {
		if r.IsLatest, err = parseBool(s.get(rec, ColIsLatest)); err != nil {
			return Row{}, fmt.Errorf("IsLatest: %w", err)
		}
	}
	if s.Has(ColIsDeleteMarker) {
		if r.IsDeleteMarker, err = parseBool(s.get(rec, ColIsDeleteMarker)); err != nil {
			return Row{}, fmt.Errorf("IsDeleteMarker: %w", err)
		}
	}
	if v := s.get(rec, ColSize); v != "" {
		if r.Size, err = strconv.ParseInt(v, 10, 64); err != nil || r.Size < 0 {
			return Row{}, fmt.Errorf("size %q is not a byte count", v)
		}
	}
	r.ETag = s.get(rec, ColETag)
	r.StorageClass = s.get(rec, ColStorageClass)
	r.EncryptionStatus = s.get(rec, ColEncryptionStatus)
	r.BucketKeyStatus = s.get(rec, ColBucketKeyStatus)
	r.LockMode = s.get(rec, ColLockMode)
	r.LockRetainUntil = s.get(rec, ColLockRetainUntil)
	r.LegalHold = s.get(rec, ColLegalHold)
	r.TieringTier = s.get(rec, ColTieringTier)
	return r, nil
}

// parseBool reads the inventory's booleans ("true"/"false", any case; empty is false).
func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", v)
}

// DeliveryFolder parses a delivery folder name (YYYY-MM-DDTHH-MMZ, e.g. 2016-11-06T21-32Z).
func DeliveryFolder(name string) (time.Time, bool) {
	t, err := time.Parse("2006-01-02T15-04Z", name)
	return t, err == nil
}

// lineLimit fails a read once a line grows past max bytes, so one endless row cannot hold the
// whole file in memory.
type lineLimit struct {
	r    *bufio.Reader
	max  int
	line int
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		if p[i] == '\n' {
			l.line = 0
			continue
		}
		if l.line++; l.line > l.max {
			return i, fmt.Errorf("a row is longer than %d bytes", l.max)
		}
	}
	return n, err
}
