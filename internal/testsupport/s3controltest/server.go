// Package s3controltest is a stand-in for the S3 Control API's Batch Operations jobs, for tests:
// no emulator available here (moto included) implements CreateJob and friends. It answers
// CreateJob, DescribeJob, ListJobs, UpdateJobStatus and GetJobTagging over REST-XML as the S3
// Control API reference and the service's published model (botocore's
// s3control/2018-08-20/service-2.json) say: every member of a CreateJob request is parsed (types in
// xml.go, checked against the model by TestTypesFollowTheModel), requests AWS documents as invalid
// are refused (validate.go), ClientRequestToken is idempotent, jobs move through their documented
// states, and DescribeJob answers the job's operation, manifest generator and report as they were
// sent.
//
// With WithExecutor, a job does its work against S3 (through the strict layer in tests): the
// manifest generator lists the source bucket and filters it as JobManifestGeneratorFilter says,
// each task passes its object to CopyObject or UpdateObjectEncryption with the job's parameters,
// as S3CopyObjectOperation documents, and the completion report is written as "Examples: S3 Batch
// Operations completion reports" shows (exec.go). Without it, jobs get a synthetic task count.
// The generated manifest itself is not written (GeneratedManifestDescriptor is left out).
//
// Expire forgets an ended job as AWS does 90 days after it ends ("Jobs are automatically deleted 90
// days after reaching a terminal state", Troubleshooting S3 Batch Operations,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-batch-operations.html):
// ListJobs no longer lists it and DescribeJob answers NotFoundException.
//
// Every request is recorded so tests can check what a client sent.
package s3controltest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
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
	StatusFailed    = "Failed"
)

// terminal statuses: ListJobs without a filter still lists them (jobs that ended recently), and
// UpdateJobStatus can no longer change them.
var terminal = map[string]bool{StatusComplete: true, StatusCancelled: true, StatusFailed: true}

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
	Created, Terminated        time.Time
	willFail                   int64
	// FailureReasons are the job-level reasons DescribeJob reports.
	FailureReasons []failureReason
	// Tasks are the objects of the generated manifest and what became of each (WithExecutor).
	Tasks []Task
	// ReportKeys are the keys of the completion report written (WithExecutor).
	ReportKeys []string
	expired    bool
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
	// tasks answers how many tasks a new job has (and how many of them will fail), from its
	// request; the default is 10 tasks, none failing. Unused with an executor.
	tasks func(CreateJobRequest) (total, failed int64)
	// autoAdvance moves a job one state on each DescribeJob of it.
	autoAdvance bool
	exec        *executor
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

// WithExecutor makes jobs do their work against S3 with api, as the job's role would.
func WithExecutor(api S3) Option { return func(s *Server) { s.exec = &executor{api: api} } }

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

// Jobs returns copies of the jobs, oldest first (expired ones included).
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

// Fail ends a job that has not ended as Failed with a job-level reason (FailureCode and
// FailureReason, as DescribeJob reports them), as S3 does when, for example, the manifest or the
// role cannot be used.
func (s *Server) Fail(id, code, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok || terminal[j.Status] {
		return fmt.Errorf("no running job %s", id)
	}
	j.Status, j.Terminated = StatusFailed, s.now()
	j.FailureReasons = append(j.FailureReasons, failureReason{FailureCode: code, FailureReason: reason})
	return nil
}

// Expire forgets an ended job, as AWS does 90 days after the job ends: ListJobs no longer lists it,
// DescribeJob answers NotFoundException, and its ClientRequestToken makes a new job again.
func (s *Server) Expire(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok || !terminal[j.Status] {
		return fmt.Errorf("job %s has not ended: only ended jobs expire", id)
	}
	j.expired = true
	delete(s.tokens, j.Account+"\x00"+j.Token)
	return nil
}

func (s *Server) advance(j *Job) {
	switch j.Status {
	case StatusNew:
		j.Status = StatusPreparing
	case StatusPreparing:
		if s.exec != nil {
			s.exec.prepare(j)
			if terminal[j.Status] {
				j.Terminated = s.now()
				return
			}
		}
		if j.Request.ConfirmationRequired != nil && *j.Request.ConfirmationRequired {
			j.Status = StatusSuspended
		} else {
			j.Status = StatusReady
		}
	case StatusReady:
		j.Status = StatusActive
		if s.exec != nil {
			// Every task runs now; the progress shows half of them until the job completes.
			s.exec.run(j)
			succeeded, failed := j.counts()
			j.Succeeded, j.Failed = succeeded/2, failed/2
			return
		}
		j.Succeeded, j.Failed = (j.Total-j.willFail)/2, j.willFail/2
	case StatusActive:
		j.Status, j.Terminated = StatusComplete, s.now()
		if s.exec != nil {
			j.Succeeded, j.Failed = j.counts()
			s.exec.report(j, j.Terminated)
			return
		}
		j.Succeeded, j.Failed = j.Total-j.willFail, j.willFail
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
		s.createJob(w, rec)
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

func (s *Server) createJob(w http.ResponseWriter, rec Request) {
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
		// AWS's job ids are UUIDs (JobId: 5 to 36 of [a-zA-Z0-9\-\_]); the completion report
		// goes under job-<id>, so a test sees the same "job-" + id paths as on AWS.
		id = fmt.Sprintf("00000000-0000-4000-8000-%012d", s.seq)
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

func (s *Server) lookup(rec Request, id string) (*Job, bool) {
	j, ok := s.jobs[id]
	if !ok || j.Account != rec.Account || j.expired {
		return nil, false
	}
	return j, true
}

// notFound answers a job the account does not have: NotFoundException is DescribeJob's error for
// it in the model (AWS's troubleshooting page calls it NoSuchJobException).
func (s *Server) notFound(w http.ResponseWriter, rec Request, id string) {
	s.fail(w, rec, http.StatusNotFound, "NotFoundException", "The specified job does not exist: "+id)
}

func (s *Server) describeJob(w http.ResponseWriter, rec Request, id string) {
	s.mu.Lock()
	j, ok := s.lookup(rec, id)
	if !ok {
		s.mu.Unlock()
		s.notFound(w, rec, id)
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

func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Server) descriptor(j *Job) jobDescriptor {
	req := j.Request
	d := jobDescriptor{
		JobID: j.ID, JobArn: fmt.Sprintf("arn:aws:s3:us-east-1:%s:job/%s", j.Account, j.ID), Status: j.Status,
		Description: req.Description, Priority: *req.Priority, RoleArn: *req.RoleArn,
		CreationTime: timestamp(j.Created), TerminationDate: timestamp(j.Terminated),
		Operation: req.Operation, Report: req.Report, Manifest: req.Manifest, ManifestGenerator: req.ManifestGenerator,
		ProgressSummary: s.progress(j),
	}
	if len(j.FailureReasons) > 0 {
		d.FailureReasons = &failureList{Members: j.FailureReasons}
	}
	if req.ConfirmationRequired != nil {
		d.ConfirmationRequired = *req.ConfirmationRequired
	}
	if j.Status == StatusSuspended {
		// JobDescriptor has a SuspendedCause; its wording for a job awaiting confirmation is not
		// documented, so the stand-in's is its own and clients must not match on it.
		d.SuspendedCause = "stand-in: awaiting confirmation"
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

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, rec Request) {
	q := r.URL.Query()
	statuses := map[string]bool{}
	for _, st := range q["jobStatuses"] {
		if !slices.Contains(jobStatuses, st) {
			s.fail(w, rec, http.StatusBadRequest, "InvalidRequest", "jobStatuses "+st+" is not a job status")
			return
		}
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
	// Newest first, like the console; the API does not promise an order. ListJobs lists "jobs
	// that haven't yet finished and jobs that finished within the last 90 days" (Listing jobs,
	// batch-ops-list-jobs.html): an expired job is not listed.
	for i := len(s.order) - 1; i >= 0; i-- {
		j := s.jobs[s.order[i]]
		if j.Account != rec.Account || j.expired || (len(statuses) > 0 && !statuses[j.Status]) {
			continue
		}
		op := ""
		if names := j.Request.Operation.Names(); len(names) == 1 {
			op = names[0]
		}
		all = append(all, jobListDescriptor{JobID: j.ID, Description: j.Request.Description, Operation: op, Priority: *j.Request.Priority,
			Status: j.Status, CreationTime: timestamp(j.Created), TerminationDate: timestamp(j.Terminated), ProgressSummary: s.progress(j)})
	}
	s.mu.Unlock()
	res := listJobsResult{NS: ns}
	if start < len(all) {
		end := min(start+max, len(all))
		res.Jobs = &jobList{Members: all[start:end]}
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
		s.notFound(w, rec, id)
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
		j.Status, j.Terminated = StatusCancelled, s.now()
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
	var tags *TagSet
	if ok {
		tags = j.Request.Tags
	}
	s.mu.Unlock()
	if !ok {
		s.notFound(w, rec, id)
		return
	}
	rec.Status = http.StatusOK
	s.record(rec)
	writeXML(w, http.StatusOK, getJobTaggingResult{NS: ns, Tags: tags})
}

// trimmed is a pointer's value without surrounding space ("" for nil).
func trimmed(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}
