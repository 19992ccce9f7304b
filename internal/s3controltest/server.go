// Package s3controltest is a stand-in for the S3 Control API's Batch Operations jobs, for tests:
// no emulator available here (moto included) implements CreateJob and friends. It answers
// CreateJob, DescribeJob, ListJobs, UpdateJobStatus and GetJobTagging over REST-XML as the S3
// Control API reference documents, refuses the requests AWS documents as invalid, keeps
// ClientRequestToken idempotent, moves jobs through their documented states, and records every
// request so tests can check what a client sent.
package s3controltest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Job statuses, as listed in "Tracking job status and completion reports"
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-job-status.html
const (
	StatusNew       = "New"
	StatusPreparing = "Preparing"
	StatusSuspended = "Suspended"
	StatusReady     = "Ready"
	StatusActive    = "Active"
	StatusComplete  = "Complete"
	StatusCancelled = "Cancelled"
)

// terminal statuses: ListJobs without a filter still lists them (jobs that ended recently), and
// UpdateJobStatus can no longer change them.
var terminal = map[string]bool{StatusComplete: true, StatusCancelled: true, "Failed": true}

// Request is one recorded request.
type Request struct {
	// Op is the operation: CreateJob, DescribeJob, ListJobs, UpdateJobStatus, GetJobTagging, or
	// "" for a request the stand-in did not recognise.
	Op      string
	Method  string
	Path    string
	Query   string
	Account string
	Body    []byte
	// Status is the HTTP status the stand-in answered (or would have answered, for a dropped one).
	Status int
	// Create is the parsed body of a CreateJob request, nil otherwise.
	Create *CreateJobRequest
}

// Job is the stand-in's view of one job, for tests.
type Job struct {
	ID, Account, Status, Token string
	Request                    CreateJobRequest
	Total, Succeeded, Failed   int64
	Created                    time.Time
	willFail                   int64
	// FailureReasons are the job-level reasons DescribeJob reports.
	FailureReasons []string
}

// Server is the stand-in. Create it with New; it is safe for concurrent use.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	jobs     map[string]*Job
	order    []string
	tokens   map[string]string // account + "\x00" + token -> job id
	requests []Request
	drops    int
	seq      int
	// Tasks answers how many tasks a new job has (and how many of them will fail), from its
	// request; the default is 10 tasks, none failing.
	tasks func(CreateJobRequest) (total, failed int64)
	// autoAdvance moves a job one state on each DescribeJob of it.
	autoAdvance bool
	now         func() time.Time
}

// Option configures a Server.
type Option func(*Server)

// WithTasks sets how many tasks (and failures) a job created from a request gets.
func WithTasks(f func(CreateJobRequest) (total, failed int64)) Option {
	return func(s *Server) { s.tasks = f }
}

// WithAutoAdvance moves each job one documented state forward every time DescribeJob reads it, so
// that successive runs of a client see the job progress.
func WithAutoAdvance() Option { return func(s *Server) { s.autoAdvance = true } }

// New starts a stand-in on a loopback port. Close it when done.
func New(opts ...Option) *Server {
	s := &Server{
		jobs:   map[string]*Job{},
		tokens: map[string]string{},
		tasks:  func(CreateJobRequest) (int64, int64) { return 10, 0 },
		now:    time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// DropNextCreateAnswers makes the next n CreateJob requests create (or find) their job as usual
// but never answer: the connection is closed, as when a response is lost on the way back.
func (s *Server) DropNextCreateAnswers(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops = n
}

// Requests returns a copy of the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Creates returns the CreateJob requests received so far, in order.
func (s *Server) Creates() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Op == "CreateJob" {
			out = append(out, r)
		}
	}
	return out
}

// Jobs returns copies of the jobs, oldest first.
func (s *Server) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Job, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, *s.jobs[id])
	}
	return out
}

// Advance moves a job one documented state forward: New → Preparing → Suspended (when it asked for
// confirmation) or Ready → Active (half its tasks done) → Complete. A Suspended job waits for
// UpdateJobStatus Ready. It answers the new status.
func (s *Server) Advance(id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return "", fmt.Errorf("no job %s", id)
	}
	s.advance(j)
	return j.Status, nil
}

// Confirm confirms a job awaiting confirmation, as UpdateJobStatus with RequestedJobStatus Ready
// does.
func (s *Server) Confirm(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	switch {
	case !ok:
		return fmt.Errorf("no job %s", id)
	case j.Status != StatusSuspended:
		return fmt.Errorf("job %s is %s, not awaiting confirmation", id, j.Status)
	}
	j.Status = StatusReady
	return nil
}

func (s *Server) advance(j *Job) {
	switch j.Status {
	case StatusNew:
		j.Status = StatusPreparing
	case StatusPreparing:
		if j.Request.ConfirmationRequired != nil && *j.Request.ConfirmationRequired {
			j.Status = StatusSuspended
		} else {
			j.Status = StatusReady
		}
	case StatusReady:
		j.Status = StatusActive
		j.Succeeded, j.Failed = (j.Total-j.willFail)/2, j.willFail/2
	case StatusActive:
		j.Status, j.Succeeded, j.Failed = StatusComplete, j.Total-j.willFail, j.willFail
	}
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	jobPathRE = regexp.MustCompile(`^/v20180820/jobs/([A-Za-z0-9-]{1,36})(/status|/tagging)?$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		s.fail(w, Request{}, http.StatusBadRequest, "InvalidRequest", "cannot read the body")
		return
	}
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Account: r.Header.Get("x-amz-account-id"), Body: body}
	// Every jobs operation names the account in the x-amz-account-id header (the request syntax of
	// each API page above); AWS answers a missing one with an error.
	if !accountRE.MatchString(rec.Account) {
		s.fail(w, rec, http.StatusBadRequest, "InvalidRequest", "x-amz-account-id must be a 12-digit account id")
		return
	}
	m := jobPathRE.FindStringSubmatch(r.URL.Path)
	switch {
	case r.URL.Path == "/v20180820/jobs" && r.Method == http.MethodPost:
		rec.Op = "CreateJob"
		s.createJob(w, r, rec)
	case r.URL.Path == "/v20180820/jobs" && r.Method == http.MethodGet:
		rec.Op = "ListJobs"
		s.listJobs(w, r, rec)
	case m != nil && m[2] == "" && r.Method == http.MethodGet:
		rec.Op = "DescribeJob"
		s.describeJob(w, rec, m[1])
	case m != nil && m[2] == "/status" && r.Method == http.MethodPost:
		rec.Op = "UpdateJobStatus"
		s.updateJobStatus(w, r, rec, m[1])
	case m != nil && m[2] == "/tagging" && r.Method == http.MethodGet:
		rec.Op = "GetJobTagging"
		s.getJobTagging(w, rec, m[1])
	default:
		s.fail(w, rec, http.StatusNotImplemented, "NotImplemented", "the stand-in does not implement "+r.Method+" "+r.URL.Path)
	}
}

func (s *Server) record(rec Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
}

func (s *Server) fail(w http.ResponseWriter, rec Request, status int, code, msg string) {
	rec.Status = status
	s.record(rec)
	writeXML(w, status, errorResponse{Code: code, Message: msg, RequestID: "standin"})
}

func writeXML(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("x-amz-request-id", "standin")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) createJob(w http.ResponseWriter, r *http.Request, rec Request) {
	var req CreateJobRequest
	if err := xml.Unmarshal(rec.Body, &req); err != nil {
		s.fail(w, rec, http.StatusBadRequest, "MalformedXML", "the CreateJob body is not CreateJobRequest XML: "+err.Error())
		return
	}
	rec.Create = &req
	if msg := validateCreate(req); msg != "" {
		s.fail(w, rec, http.StatusBadRequest, "InvalidRequest", msg)
		return
	}
	s.mu.Lock()
	tk := rec.Account + "\x00" + *req.ClientRequestToken
	id, seen := s.tokens[tk]
	if !seen {
		s.seq++
		id = fmt.Sprintf("job-%08d", s.seq)
		total, failed := s.tasks(req)
		s.jobs[id] = &Job{ID: id, Account: rec.Account, Status: StatusNew, Token: *req.ClientRequestToken, Request: req, Total: total, willFail: failed, Created: s.now()}
		s.order = append(s.order, id)
		s.tokens[tk] = id
	}
	drop := s.drops > 0
	if drop {
		s.drops--
	}
	s.mu.Unlock()
	rec.Status = http.StatusOK
	s.record(rec)
	if drop {
		// A lost answer: the job exists, the client never hears of it.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	// A CreateJob repeating a ClientRequestToken answers the job the token first created: the
	// token is "an idempotency token to ensure that you don't accidentally submit the same
	// request twice" (CreateJob, request parameters).
	writeXML(w, http.StatusOK, createJobResult{NS: ns, JobID: id})
}

// validateCreate returns why AWS would refuse a CreateJob, or "".
func validateCreate(req CreateJobRequest) string {
	var missing []string
	// Required members per the CreateJob request syntax.
	if req.ClientRequestToken == nil {
		missing = append(missing, "ClientRequestToken")
	}
	if req.Operation == nil {
		missing = append(missing, "Operation")
	}
	if req.Priority == nil {
		missing = append(missing, "Priority")
	}
	if req.Report == nil {
		missing = append(missing, "Report")
	}
	if req.RoleArn == nil {
		missing = append(missing, "RoleArn")
	}
	if len(missing) > 0 {
		return "missing required field(s): " + strings.Join(missing, ", ")
	}
	// ClientRequestToken: length 1 to 64 (CreateJob request parameters).
	if n := len(*req.ClientRequestToken); n < 1 || n > 64 {
		return "ClientRequestToken must be 1 to 64 characters"
	}
	// Priority: "Valid Range: Minimum value of 0. Maximum value of 2147483647."
	if *req.Priority < 0 {
		return "Priority must be 0 or more"
	}
	if !strings.HasPrefix(*req.RoleArn, "arn:") || !strings.Contains(*req.RoleArn, ":iam::") {
		return "RoleArn must be an IAM role ARN"
	}
	// "Jobs must be created with either a manifest file or a ManifestGenerator, but not both."
	if (req.Manifest == nil) == (req.ManifestGenerator == nil) {
		return "a job needs either Manifest or ManifestGenerator, not both and not neither"
	}
	if msg := validateOperation(*req.Operation); msg != "" {
		return msg
	}
	if msg := validateReport(*req.Report); msg != "" {
		return msg
	}
	if req.ManifestGenerator != nil {
		if msg := validateGenerator(*req.ManifestGenerator); msg != "" {
			return msg
		}
	}
	// S3Tag: Key 1-128 characters, Value 0-256 ("S3Tag", S3 Control data types).
	for _, t := range req.Tags {
		if len(t.Key) < 1 || len(t.Key) > 128 || len(t.Value) > 256 {
			return "a tag key must be 1 to 128 characters and a value at most 256"
		}
	}
	return ""
}

// validateOperation: JobOperation takes one operation per job ("The operation that you want this
// job to perform on every object listed in the manifest",
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobOperation.html).
func validateOperation(op Operation) string {
	n := len(op.Others)
	if op.S3UpdateObjectEncryption != nil {
		n++
	}
	if op.S3PutObjectCopy != nil {
		n++
	}
	if n != 1 {
		return fmt.Sprintf("Operation must name exactly one operation, not %d", n)
	}
	if u := op.S3UpdateObjectEncryption; u != nil {
		// "The UpdateObjectEncryption operation supports the SSE-KMS encryption type" and
		// KMSKeyArn is required when SSEKMS is specified:
		// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_ObjectEncryption.html
		// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_S3UpdateObjectEncryptionSSEKMS.html
		if u.ObjectEncryption == nil || u.ObjectEncryption.SSEKMS == nil || len(u.ObjectEncryption.Others) > 0 {
			return "S3UpdateObjectEncryption needs ObjectEncryption with SSE-KMS: it can only change objects to SSE-KMS"
		}
		if k := u.ObjectEncryption.SSEKMS.KMSKeyArn; k == nil || !strings.HasPrefix(*k, "arn:") || !strings.Contains(*k, ":key/") {
			return "S3UpdateObjectEncryption SSE-KMS needs KMSKeyArn, the ARN of a KMS key"
		}
	}
	if c := op.S3PutObjectCopy; c != nil {
		if c.TargetResource == nil || !strings.HasPrefix(*c.TargetResource, "arn:") {
			return "S3PutObjectCopy needs TargetResource, the destination bucket's ARN"
		}
		switch c.MetadataDirective {
		case "", "COPY", "REPLACE":
		default:
			return "S3PutObjectCopy MetadataDirective must be COPY or REPLACE"
		}
	}
	return ""
}

func validateReport(r Report) string {
	if r.Enabled == nil {
		return "Report needs Enabled"
	}
	if !*r.Enabled {
		return ""
	}
	// JobReport: with a report enabled, the bucket, format and scope say where and what.
	// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobReport.html
	if r.Bucket == nil || !strings.HasPrefix(*r.Bucket, "arn:") || !strings.Contains(*r.Bucket, ":s3:::") {
		return "an enabled Report needs Bucket, a bucket ARN"
	}
	if r.Format != "Report_CSV_20180820" {
		return "Report Format must be Report_CSV_20180820"
	}
	switch r.ReportScope {
	case "AllTasks", "FailedTasksOnly":
	default:
		return "Report ReportScope must be AllTasks or FailedTasksOnly"
	}
	return ""
}

// validateGenerator follows S3JobManifestGenerator and JobManifestGeneratorFilter:
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_S3JobManifestGenerator.html
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobManifestGeneratorFilter.html
func validateGenerator(g ManifestGenerator) string {
	if g.S3 == nil {
		return "ManifestGenerator must hold S3JobManifestGenerator"
	}
	if g.S3.SourceBucket == nil || !strings.HasPrefix(*g.S3.SourceBucket, "arn:") {
		return "S3JobManifestGenerator needs SourceBucket, a bucket ARN"
	}
	if g.S3.EnableManifestOutput == nil {
		return "S3JobManifestGenerator needs EnableManifestOutput"
	}
	if *g.S3.EnableManifestOutput {
		l := g.S3.ManifestOutputLocation
		if l == nil || l.Bucket == nil || !strings.HasPrefix(*l.Bucket, "arn:") {
			return "EnableManifestOutput true needs ManifestOutputLocation with a bucket ARN"
		}
		if l.ManifestFormat != "S3InventoryReport_CSV_20211130" {
			return "ManifestOutputLocation ManifestFormat must be S3InventoryReport_CSV_20211130"
		}
	}
	if f := g.S3.Filter; f != nil {
		for _, t := range []string{f.CreatedBefore, f.CreatedAfter} {
			if t == "" {
				continue
			}
			if _, err := time.Parse(time.RFC3339, t); err != nil {
				return "CreatedBefore/CreatedAfter must be timestamps"
			}
		}
		// "MatchAnyObjectEncryption ... Array Members: Fixed number of 1 item." (the filter page
		// above; the service model says min 1, max 1): one encryption kind per job.
		if len(f.Encryption) > 1 {
			return fmt.Sprintf("MatchAnyObjectEncryption holds exactly one ObjectEncryption, not %d", len(f.Encryption))
		}
		for _, k := range f.Encryption {
			if k.Name() == "" {
				return "each MatchAnyObjectEncryption entry names exactly one of SSE-S3, SSE-KMS, DSSE-KMS, SSE-C, NOT-SSE"
			}
			if k.SSEKMS != nil && k.SSEKMS.KmsKeyArn != "" && !strings.Contains(k.SSEKMS.KmsKeyArn, ":key/") {
				// SSEKMSFilter: "KmsKeyArn ... the KMS key ARN"; an alias is not accepted there.
				// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_SSEKMSFilter.html
				return "SSE-KMS filter KmsKeyArn must be a key ARN"
			}
		}
	}
	return ""
}

func (s *Server) lookup(rec Request, id string) (*Job, bool) {
	j, ok := s.jobs[id]
	if !ok || j.Account != rec.Account {
		return nil, false
	}
	return j, true
}

func (s *Server) describeJob(w http.ResponseWriter, rec Request, id string) {
	s.mu.Lock()
	j, ok := s.lookup(rec, id)
	if !ok {
		s.mu.Unlock()
		s.fail(w, rec, http.StatusNotFound, "NotFoundException", "no job "+id)
		return
	}
	if s.autoAdvance {
		s.advance(j)
	}
	d := s.descriptor(j)
	s.mu.Unlock()
	rec.Status = http.StatusOK
	s.record(rec)
	writeXML(w, http.StatusOK, describeJobResult{NS: ns, Job: d})
}

func (s *Server) descriptor(j *Job) jobDescriptor {
	d := jobDescriptor{
		JobID: j.ID, JobArn: fmt.Sprintf("arn:aws:s3:us-east-1:%s:job/%s", j.Account, j.ID), Status: j.Status,
		Description: j.Request.Description, Priority: *j.Request.Priority, RoleArn: *j.Request.RoleArn,
		CreationTime: j.Created.UTC().Format(time.RFC3339), Report: j.Request.Report,
	}
	if j.Request.ConfirmationRequired != nil {
		d.ConfirmationRequired = *j.Request.ConfirmationRequired
	}
	if j.Status == StatusSuspended {
		// JobDescriptor has a SuspendedCause; its wording for a job awaiting confirmation is not
		// documented, so the stand-in's is its own and clients must not match on it.
		d.SuspendedCause = "stand-in: awaiting confirmation"
	}
	d.ProgressSummary = s.progress(j)
	for _, r := range j.FailureReasons {
		d.FailureReasons = append(d.FailureReasons, failureReason{FailureCode: "TaskFailed", FailureReason: r})
	}
	return d
}

func (s *Server) progress(j *Job) progressSummary {
	p := progressSummary{}
	switch j.Status {
	case StatusNew, StatusPreparing:
	default:
		p.TotalNumberOfTasks = j.Total
		p.NumberOfTasksSucceeded = j.Succeeded
		p.NumberOfTasksFailed = j.Failed
	}
	return p
}

func operationName(op *Operation) string {
	switch {
	case op == nil:
		return ""
	case op.S3UpdateObjectEncryption != nil:
		return "S3UpdateObjectEncryption"
	case op.S3PutObjectCopy != nil:
		return "S3PutObjectCopy"
	case len(op.Others) > 0:
		return op.Others[0].Local
	}
	return ""
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, rec Request) {
	q := r.URL.Query()
	statuses := map[string]bool{}
	for _, st := range q["jobStatuses"] {
		statuses[st] = true
	}
	max := 1000
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		// MaxResults: "Valid Range: Minimum value of 0. Maximum value of 1000." (ListJobs)
		if err != nil || n < 0 || n > 1000 {
			s.fail(w, rec, http.StatusBadRequest, "InvalidRequest", "maxResults must be 0 to 1000")
			return
		}
		if n > 0 {
			max = n
		}
	}
	start := 0
	if v := q.Get("nextToken"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.fail(w, rec, http.StatusBadRequest, "InvalidRequest", "nextToken is not one this server gave")
			return
		}
		start = n
	}
	s.mu.Lock()
	var all []jobListDescriptor
	// Newest first, like the console; the API does not promise an order.
	for i := len(s.order) - 1; i >= 0; i-- {
		j := s.jobs[s.order[i]]
		if j.Account != rec.Account || (len(statuses) > 0 && !statuses[j.Status]) {
			continue
		}
		all = append(all, jobListDescriptor{JobID: j.ID, Description: j.Request.Description, Operation: operationName(j.Request.Operation), Priority: *j.Request.Priority, Status: j.Status, CreationTime: j.Created.UTC().Format(time.RFC3339), ProgressSummary: s.progress(j)})
	}
	s.mu.Unlock()
	res := listJobsResult{NS: ns}
	if start < len(all) {
		end := min(start+max, len(all))
		res.Jobs = all[start:end]
		if end < len(all) {
			res.NextToken = strconv.Itoa(end)
		}
	}
	rec.Status = http.StatusOK
	s.record(rec)
	writeXML(w, http.StatusOK, res)
}

func (s *Server) updateJobStatus(w http.ResponseWriter, r *http.Request, rec Request, id string) {
	want := r.URL.Query().Get("requestedJobStatus")
	reason := r.URL.Query().Get("statusUpdateReason")
	s.mu.Lock()
	j, ok := s.lookup(rec, id)
	if !ok {
		s.mu.Unlock()
		s.fail(w, rec, http.StatusNotFound, "NotFoundException", "no job "+id)
		return
	}
	// UpdateJobStatus: RequestedJobStatus is Cancelled or Ready; a job can be confirmed (Ready)
	// while it waits for confirmation, and cancelled until it has ended
	// ("Updating job status", batch-ops-job-status.html).
	var msg string
	switch {
	case want == StatusReady && j.Status == StatusSuspended:
		j.Status = StatusReady
	case want == StatusReady:
		msg = "job " + id + " is " + j.Status + ", not awaiting confirmation"
	case want == StatusCancelled && !terminal[j.Status]:
		j.Status = StatusCancelled
	case want == StatusCancelled:
		msg = "job " + id + " has already ended (" + j.Status + ")"
	default:
		msg = "requestedJobStatus must be Ready or Cancelled"
	}
	status := j.Status
	s.mu.Unlock()
	if msg != "" {
		s.fail(w, rec, http.StatusBadRequest, "JobStatusException", msg)
		return
	}
	rec.Status = http.StatusOK
	s.record(rec)
	writeXML(w, http.StatusOK, updateJobStatusResult{NS: ns, JobID: id, Status: status, StatusUpdateReason: reason})
}

// getJobTagging answers GetJobTagging
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetJobTagging.html).
func (s *Server) getJobTagging(w http.ResponseWriter, rec Request, id string) {
	s.mu.Lock()
	j, ok := s.lookup(rec, id)
	var tags []Tag
	if ok {
		tags = append(tags, j.Request.Tags...)
	}
	s.mu.Unlock()
	if !ok {
		s.fail(w, rec, http.StatusNotFound, "NotFoundException", "no job "+id)
		return
	}
	rec.Status = http.StatusOK
	s.record(rec)
	writeXML(w, http.StatusOK, getJobTaggingResult{NS: ns, Tags: tags})
}
