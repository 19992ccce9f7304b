package batchops

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// A job's completion report ("Examples: S3 Batch Operations completion reports",
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-reports.html) is a
// top-level manifest.json under <report prefix>/job-<id>/ naming each results file (Bucket, Key,
// MD5Checksum, TaskExecutionStatus succeeded or failed) and its ReportSchema, "Bucket, Key,
// VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage", and the CSV results files
// under job-<id>/results/. sseguard's jobs ask for the failed tasks alone (FailedTasksOnly).
// The report is written by the job's role into a bucket whose prefix others may be able to write
// to: it is read with the account as ExpectedBucketOwner, only from the job's own report location
// (a manifest naming a file elsewhere is not followed), each file checked against its MD5, and
// everything in it is shown as untrusted text.

// Limits on what is read of a report.
const (
	maxReportManifest = 1 << 20
	// maxResultsRead is how much of one failed-tasks file is read: larger files are read from the
	// start only (the MD5 is then not checked, and the report says so).
	maxResultsRead = 1 << 20
	// FailedSamples is how many failed tasks a job's report gives at most.
	FailedSamples = 5
)

// FailedTask is one failed task of a completion report.
type FailedTask struct {
	Key, ErrorCode, HTTPStatus, Message string
}

// Failures is what a job's completion report says of its failed tasks.
type Failures struct {
	// Location is the report's manifest.json (s3://bucket/key).
	Location string
	Tasks    []FailedTask
	// Note says what could not be read or checked ("" when all of it was).
	Note string
}

// ReadFailures reads up to FailedSamples failed tasks from the completion report of job id (of
// the requirement base describes).
func ReadFailures(ctx context.Context, store Store, base Spec, id string) (*Failures, error) {
	dir := base.ReportBase() + "/job-" + id + "/"
	f := &Failures{Location: "s3://" + base.ReportBucket + "/" + dir + "manifest.json"}
	raw, _, err := readLimited(ctx, store, base.ReportBucket, dir+"manifest.json", base.Account, maxReportManifest)
	if err != nil {
		return f, fmt.Errorf("read the completion report %s: %w", f.Location, err)
	}
	var m struct {
		Format       string `json:"Format"`
		ReportSchema string `json:"ReportSchema"`
		Results      []struct {
			TaskExecutionStatus string `json:"TaskExecutionStatus"`
			Bucket              string `json:"Bucket"`
			MD5Checksum         string `json:"MD5Checksum"`
			Key                 string `json:"Key"`
		} `json:"Results"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return f, fmt.Errorf("the completion report %s is not the documented JSON: %w", f.Location, err)
	}
	cols := map[string]int{}
	for i, c := range strings.Split(m.ReportSchema, ",") {
		cols[strings.TrimSpace(c)] = i
	}
	for _, need := range []string{"Key", "TaskStatus", "ErrorCode"} {
		if _, ok := cols[need]; !ok {
			return f, fmt.Errorf("the completion report %s: its ReportSchema %q has no %s column", f.Location, m.ReportSchema, need)
		}
	}
	var notes []string
	for _, r := range m.Results {
		if r.TaskExecutionStatus != "failed" || len(f.Tasks) >= FailedSamples {
			continue
		}
		if r.Bucket != base.ReportBucket || !strings.HasPrefix(r.Key, dir+"results/") || strings.Contains(r.Key, "..") {
			notes = append(notes, fmt.Sprintf("it names a results file outside the job's report location (s3://%s/%s), not read", r.Bucket, r.Key))
			continue
		}
		tasks, note, err := readResults(ctx, store, base, r.Key, r.MD5Checksum, cols, FailedSamples-len(f.Tasks))
		if err != nil {
			notes = append(notes, err.Error())
			continue
		}
		if note != "" {
			notes = append(notes, note)
		}
		f.Tasks = append(f.Tasks, tasks...)
	}
	f.Note = strings.Join(notes, "; ")
	return f, nil
}

// readResults reads up to n failed tasks from one results file.
func readResults(ctx context.Context, store Store, base Spec, key, md5sum string, cols map[string]int, n int) ([]FailedTask, string, error) {
	out, err := store.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(base.ReportBucket), Key: aws.String(key), ExpectedBucketOwner: aws.String(base.Account)})
	if err != nil {
		return nil, "", fmt.Errorf("read s3://%s/%s: %w", base.ReportBucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxResultsRead+1))
	if err != nil {
		return nil, "", fmt.Errorf("read s3://%s/%s: %w", base.ReportBucket, key, err)
	}
	note := ""
	if len(b) > maxResultsRead {
		b = b[:maxResultsRead]
		note = fmt.Sprintf("s3://%s/%s is larger than %d bytes: its first rows were read, its MD5 not checked", base.ReportBucket, key, maxResultsRead)
	} else if sum := md5.Sum(b); !strings.EqualFold(hex.EncodeToString(sum[:]), md5sum) {
		return nil, "", fmt.Errorf("s3://%s/%s has MD5 %s, the report's manifest says %s: not read", base.ReportBucket, key, hex.EncodeToString(sum[:]), md5sum)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	var tasks []FailedTask
	get := func(rec []string, col string) string {
		if i, ok := cols[col]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for len(tasks) < n {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			break // a row cut by the read limit, or not CSV: what was read stands
		}
		if get(rec, "TaskStatus") != "failed" {
			continue
		}
		t := FailedTask{Key: get(rec, "Key"), ErrorCode: get(rec, "ErrorCode"), HTTPStatus: get(rec, "HTTPStatusCode"), Message: get(rec, "ResultMessage")}
		if _, err := strconv.Atoi(t.HTTPStatus); err != nil {
			t.HTTPStatus = ""
		}
		if len(t.Message) > 200 {
			t.Message = t.Message[:200] + "…"
		}
		tasks = append(tasks, t)
	}
	return tasks, note, nil
}
