package batchops

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/s3controltest"
)

// The jobs go to the S3 Control stand-in (no emulator here implements S3 Control); the record and
// the completion reports to S3: moto behind the strict layer, which enforces the bucket owner
// condition and conditional writes as AWS does.

const account = "123456789012"

var keyARN = "arn:aws:kms:us-east-1:" + account + ":key/11111111-2222-3333-4444-555555555555"

var layer *awstest.Layer

func TestMain(m *testing.M) {
	l, stop := awstest.StartMain()
	layer = l
	code := m.Run()
	stop()
	os.Exit(code)
}

var seq atomic.Int64

// store is an S3 client through the layer with a report bucket of its own.
func store(t *testing.T) (*s3.Client, string) {
	t.Helper()
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(layer.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIABATCHOPS", "testing", "testing")})
	bucket := fmt.Sprintf("reports-%d", seq.Add(1))
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return c, bucket
}

func client(t *testing.T, srv *s3controltest.Server) *s3control.Client {
	t.Helper()
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.URL),
	}
	return NewClient(cfg, "us-east-1")
}

var start = time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)

func base(reports string) Spec {
	return Spec{
		Account: account, Partition: "aws", Bucket: "media-hls", KMSKeyARN: keyARN, BucketKey: true,
		Prefixes: []string{"videos/"}, RoleARN: "arn:aws:iam::" + account + ":role/batch", ReportBucket: reports, ReportPrefix: "sseguard/",
		ConfirmationRequired: true, Priority: 10, Revision: "abc123",
	}
}

func with(b Spec, op Operation, kind Kind, class string) Spec {
	b.Operation, b.Kind, b.StorageClass = op, kind, class
	if op == PutObjectCopy {
		b.MaxObjectSize = MaxCopySize
	}
	return b
}

// ensure is Ensure after Find, as apply's Starter does.
func ensure(t *testing.T, c API, st Store, b Spec, gen int, specs ...Spec) []*Job {
	t.Helper()
	f, err := Find(context.Background(), c, st, b)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := Ensure(context.Background(), c, st, b, f, gen, specs, start)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func TestEnsureCreatesOnceWithTheSpecShape(t *testing.T) {
	srv := s3controltest.New()
	defer srv.Close()
	c := client(t, srv)
	st, reports := store(t)
	b := base(reports)
	specs := []Spec{with(b, UpdateObjectEncryption, KindSSES3, ""), with(b, PutObjectCopy, KindNotSSE, "STANDARD_IA")}
	jobs := ensure(t, c, st, b, 0, specs...)
	if len(jobs) != 2 || !jobs[0].New || !jobs[1].New {
		t.Fatalf("first Ensure: %+v, want two new jobs", jobs)
	}
	creates := srv.Creates()
	if len(creates) != 2 {
		t.Fatalf("%d CreateJob requests, want 2", len(creates))
	}
	up, cp := creates[0].Create, creates[1].Create
	if up.Operation.S3UpdateObjectEncryption == nil || *up.Operation.S3UpdateObjectEncryption.ObjectEncryption.SSEKMS.KMSKeyArn != keyARN {
		t.Errorf("update operation %+v", up.Operation)
	}
	if f := up.ManifestGenerator.S3.Filter; f.ObjectSizeLessThanBytes != nil || f.MatchAnyStorageClass != nil || *f.CreatedBefore != "2026-11-29T20:00:00Z" {
		t.Errorf("update filter %+v: no size, no class, created before the generation's start", f)
	}
	op := cp.Operation.S3PutObjectCopy
	// A copy keeps the object's class and names its encryption; tags are copied (no NewObjectTagging).
	if op == nil || *op.StorageClass != "STANDARD_IA" || *op.MetadataDirective != "COPY" || op.NewObjectTagging != nil ||
		op.NewObjectMetadata == nil || *op.NewObjectMetadata.SSEAlgorithm != "KMS" || *op.SSEAwsKmsKeyID != keyARN || !*op.BucketKeyEnabled {
		t.Errorf("copy operation %+v", op)
	}
	f := cp.ManifestGenerator.S3.Filter
	if diff := cmp.Diff([]string{"STANDARD_IA"}, f.MatchAnyStorageClass.Values()); diff != "" {
		t.Errorf("copy job classes (-want +got):\n%s", diff)
	}
	if f.Encryption.Kinds()[0].Name() != "NOT-SSE" || *f.ObjectSizeLessThanBytes != 5<<30+1 {
		t.Errorf("copy filter %+v", f)
	}
	if *cp.Report.Prefix != "sseguard/media-hls" || *cp.Report.ExpectedBucketOwner != account {
		t.Errorf("report %+v", cp.Report)
	}
	// The record holds the generation's start, the tokens sent and the jobs' ids.
	rec, _, err := ReadRecord(context.Background(), st, b)
	if err != nil || rec == nil || len(rec.Generations) != 1 {
		t.Fatalf("record %+v, %v", rec, err)
	}
	g := rec.Generations[0]
	if !g.CreatedBefore.Equal(start) || len(g.Jobs) != 2 || g.Jobs[0].ID != jobs[0].ID || g.Jobs[1].Token != *cp.ClientRequestToken {
		t.Errorf("record generation %+v", g)
	}
	// Again, later: the same jobs found, nothing created.
	again := ensure(t, c, st, b, 0, specs...)
	if len(again) != 2 || again[0].New || again[0].ID != jobs[0].ID || len(srv.Creates()) != 2 {
		t.Errorf("second Ensure: %+v, %d CreateJob requests", again, len(srv.Creates()))
	}
}

func TestEnsureLostAnswerLeavesOneJob(t *testing.T) {
	srv := s3controltest.New()
	defer srv.Close()
	c := client(t, srv)
	st, reports := store(t)
	b := base(reports)
	srv.DropNextCreateAnswers(1)
	jobs := ensure(t, c, st, b, 0, with(b, UpdateObjectEncryption, KindSSES3, ""))
	if got := len(srv.Jobs()); got != 1 || len(jobs) != 1 || jobs[0].ID != srv.Jobs()[0].ID {
		t.Fatalf("%d jobs after a lost answer, Ensure answered %+v", got, jobs)
	}
	creates := srv.Creates()
	if len(creates) != 2 || *creates[0].Create.ClientRequestToken != *creates[1].Create.ClientRequestToken {
		t.Errorf("the retry did not send the same token: %d requests", len(creates))
	}
}

func TestProgressAndConfirmation(t *testing.T) {
	srv := s3controltest.New(s3controltest.WithTasks(func(s3controltest.CreateJobRequest) (int64, int64) { return 100, 4 }))
	defer srv.Close()
	c := client(t, srv)
	st, reports := store(t)
	ctx := context.Background()
	j := ensure(t, c, st, base(reports), 0, with(base(reports), UpdateObjectEncryption, KindSSES3, ""))[0]
	type state struct {
		Status              string
		Awaiting            bool
		Total, Succ, Failed int64
	}
	var got []state
	for i := 0; i < 5; i++ {
		d, err := Describe(ctx, c, account, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, state{d.Status, d.AwaitingConfirmation, d.Total, d.Succeeded, d.Failed})
		if d.AwaitingConfirmation {
			if _, err := c.UpdateJobStatus(ctx, &s3control.UpdateJobStatusInput{AccountId: aws.String(account), JobId: aws.String(j.ID), RequestedJobStatus: "Ready"}); err != nil {
				t.Fatal(err)
			}
		} else if _, err := srv.Advance(j.ID); err != nil {
			t.Fatal(err)
		}
	}
	want := []state{
		{"New", false, 0, 0, 0},
		{"Preparing", false, 0, 0, 0},
		{"Suspended", true, 100, 0, 0},
		{"Ready", false, 100, 0, 0},
		{"Active", false, 100, 48, 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
}

func TestInputRefusesWhatTheOperationCannotDo(t *testing.T) {
	b := base("reports")
	b.CreatedBefore = start
	cases := map[string]struct {
		spec Spec
		want string
	}{
		"update to sse-s3":        {func() Spec { s := with(b, UpdateObjectEncryption, KindSSES3, ""); s.KMSKeyARN = ""; return s }(), "only change objects to SSE-KMS"},
		"update from unencrypted": {with(b, UpdateObjectEncryption, KindNotSSE, ""), "cannot change NOT-SSE"},
		"update with a class":     {with(b, UpdateObjectEncryption, KindSSES3, "STANDARD"), "keeps every object's storage class"},
		"copy of an archive":      {with(b, PutObjectCopy, KindNotSSE, "GLACIER"), "one storage class a job can copy"},
		"copy without a class":    {with(b, PutObjectCopy, KindNotSSE, ""), "one storage class a job can copy"},
		"no role":                 {func() Spec { s := with(b, UpdateObjectEncryption, KindSSES3, ""); s.RoleARN = ""; return s }(), "role_arn"},
		"no start": {func() Spec {
			s := with(b, UpdateObjectEncryption, KindSSES3, "")
			s.CreatedBefore = time.Time{}
			return s
		}(), "CreatedBefore"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := tc.spec.Input()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Input: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestTokenCoversEveryParameter: the same request sends the same token; any parameter changed,
// another token (a token is never sent with other parameters).
func TestTokenCoversEveryParameter(t *testing.T) {
	a := with(base("reports"), PutObjectCopy, KindNotSSE, "STANDARD")
	a.CreatedBefore = start
	if b := a; a.Token() != b.Token() || len(a.Token()) > 64 {
		t.Fatalf("token %q", a.Token())
	}
	for name, mut := range map[string]func(*Spec){
		"start":        func(s *Spec) { s.CreatedBefore = s.CreatedBefore.Add(time.Second) },
		"class":        func(s *Spec) { s.StorageClass = "STANDARD_IA" },
		"generation":   func(s *Spec) { s.Generation = 1 },
		"role":         func(s *Spec) { s.RoleARN += "x" },
		"report":       func(s *Spec) { s.ReportPrefix = "other/" },
		"priority":     func(s *Spec) { s.Priority++ },
		"confirmation": func(s *Spec) { s.ConfirmationRequired = false },
		"revision":     func(s *Spec) { s.Revision = "def456" },
		"kind":         func(s *Spec) { s.Kind = KindDSSE },
	} {
		b := a
		mut(&b)
		if b.Token() == a.Token() {
			t.Errorf("%s changed, same token", name)
		}
	}
}

// forge creates, as someone else with s3:CreateJob would, a job with sseguard's description.
func forge(t *testing.T, c *s3control.Client, s Spec, mut func(*s3control.CreateJobInput)) string {
	t.Helper()
	in, err := s.Input()
	if err != nil {
		t.Fatal(err)
	}
	in.ClientRequestToken = aws.String("attacker-" + fmt.Sprint(seq.Add(1)))
	mut(in)
	out, err := c.CreateJob(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return *out.JobId
}

func TestForeignJobsAreNotAdopted(t *testing.T) {
	cases := map[string]func(*s3control.CreateJobInput){
		"copy into another bucket": func(in *s3control.CreateJobInput) {
			in.Operation = &types.JobOperation{S3PutObjectCopy: &types.S3CopyObjectOperation{TargetResource: aws.String("arn:aws:s3:::attacker"), MetadataDirective: types.S3MetadataDirectiveCopy}}
		},
		"another key": func(in *s3control.CreateJobInput) {
			in.Operation.S3UpdateObjectEncryption.ObjectEncryption.SSEKMS.KMSKeyArn = aws.String("arn:aws:kms:us-east-1:999999999999:key/attacker-key-0000000")
		},
		"another role": func(in *s3control.CreateJobInput) {
			in.RoleArn = aws.String("arn:aws:iam::" + account + ":role/attacker")
		},
		"report elsewhere": func(in *s3control.CreateJobInput) {
			in.Report.Bucket = aws.String("arn:aws:s3:::attacker-reports")
		},
		"another prefix": func(in *s3control.CreateJobInput) {
			g := in.ManifestGenerator.(*types.JobManifestGeneratorMemberS3JobManifestGenerator)
			g.Value.Filter.KeyNameConstraint.MatchAnyPrefix = []string{""}
		},
		"its start after its creation": func(in *s3control.CreateJobInput) {
			g := in.ManifestGenerator.(*types.JobManifestGeneratorMemberS3JobManifestGenerator)
			g.Value.Filter.CreatedBefore = aws.Time(time.Now().Add(48 * time.Hour))
		},
	}
	for name, mut := range cases {
		t.Run(name, func(t *testing.T) {
			srv := s3controltest.New()
			defer srv.Close()
			c := client(t, srv)
			st, reports := store(t)
			b := base(reports)
			s := with(b, UpdateObjectEncryption, KindSSES3, "")
			s.CreatedBefore = start
			id := forge(t, c, s, mut)
			f, err := Find(context.Background(), c, st, b)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Jobs) != 0 || len(f.Foreign) != 1 || f.Foreign[0].ID != id {
				t.Fatalf("found %+v, foreign %+v; want the forged job %s foreign and nothing adopted", f.Jobs, f.Foreign, id)
			}
			t.Log(f.Foreign[0].Error())
		})
	}
}

// TestForeignJobNamedTwiceIsOneBlocker: a forged job that the listing shows and a record names is
// one foreign job, not two.
func TestForeignJobNamedTwiceIsOneBlocker(t *testing.T) {
	srv := s3controltest.New()
	defer srv.Close()
	c := client(t, srv)
	st, reports := store(t)
	b := base(reports)
	s := with(b, UpdateObjectEncryption, KindSSES3, "")
	s.CreatedBefore = start
	id := forge(t, c, s, func(in *s3control.CreateJobInput) {
		in.RoleArn = aws.String("arn:aws:iam::" + account + ":role/attacker")
	})
	rj := recordJob(s)
	rj.ID = id
	raw, _ := json.Marshal(Record{Format: RecordFormat, Account: account, Bucket: b.Bucket, Requirement: b.Requirement(),
		Generations: []RecordGeneration{{Generation: 0, CreatedBefore: start, Jobs: []RecordJob{rj}}}})
	putRecord(t, st, b, raw)
	f, err := Find(context.Background(), c, st, b)
	if err != nil {
		t.Fatal(err)
	}
	if f.RecordErr != nil || len(f.Jobs) != 0 || len(f.Foreign) != 1 || f.Foreign[0].ID != id {
		t.Fatalf("record error %v, jobs %+v, foreign %+v; want the forged job %s foreign once", f.RecordErr, f.Jobs, f.Foreign, id)
	}
}

// TestCreateJobAnsweringAnotherJob: a token that answers someone else's job (same token, other
// parameters) is an error, never a job sseguard adopts.
func TestCreateJobAnsweringAnotherJob(t *testing.T) {
	srv := s3controltest.New()
	defer srv.Close()
	c := client(t, srv)
	st, reports := store(t)
	b := base(reports)
	s := with(b, UpdateObjectEncryption, KindSSES3, "")
	s.CreatedBefore = start
	in, _ := s.Input()
	in.RoleArn = aws.String("arn:aws:iam::" + account + ":role/attacker")
	in.Description = aws.String("someone else's")
	if _, err := c.CreateJob(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	f, err := Find(context.Background(), c, st, b)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Ensure(context.Background(), c, st, b, f, 0, []Spec{with(b, UpdateObjectEncryption, KindSSES3, "")}, start)
	if err == nil || !strings.Contains(err.Error(), "not the one sseguard asked for") {
		t.Errorf("Ensure over a taken token: %v", err)
	}
}

func TestRecordOutlivesListJobs(t *testing.T) {
	srv := s3controltest.New()
	defer srv.Close()
	c := client(t, srv)
	st, reports := store(t)
	b := base(reports)
	ctx := context.Background()
	jobs := ensure(t, c, st, b, 0, with(b, UpdateObjectEncryption, KindSSES3, ""))
	for i := 0; i < 5; i++ {
		if _, err := srv.Advance(jobs[0].ID); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := srv.Confirm(jobs[0].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	f, err := Find(ctx, c, st, b)
	if err != nil || len(f.Jobs) != 1 || f.Jobs[0].Status != "Complete" {
		t.Fatalf("find: %+v, %v", f, err)
	}
	if err := Remember(ctx, st, b, f); err != nil {
		t.Fatal(err)
	}
	if err := srv.Expire(jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	f, err = Find(ctx, c, st, b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Generation != 0 || len(f.Jobs) != 1 || f.Jobs[0].Status != StatusExpired || f.Jobs[0].RecordedStatus != "Complete" || f.Jobs[0].Total != 10 {
		t.Errorf("after AWS forgot the job: generation %d, jobs %+v", f.Generation, f.Jobs)
	}
}

// putRecord writes a record as someone who can write under the report prefix would.
func putRecord(t *testing.T, st *s3.Client, b Spec, body []byte) {
	t.Helper()
	if _, err := st.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(b.ReportBucket), Key: aws.String(b.RecordKey()), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func TestTamperedRecordIsNotBelieved(t *testing.T) {
	srv := s3controltest.New()
	defer srv.Close()
	c := client(t, srv)
	st, reports := store(t)
	b := base(reports)
	ensure(t, c, st, b, 0, with(b, UpdateObjectEncryption, KindSSES3, ""))
	good, _, err := ReadRecord(context.Background(), st, b)
	if err != nil || good == nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		mut  func(*Record)
		want string
	}{
		"another bucket's":         {func(r *Record) { r.Bucket = "other" }, "for bucket other"},
		"a token edited":           {func(r *Record) { r.Generations[0].Jobs[0].Token = "sseguard-0000" }, "token"},
		"a job's parameters moved": {func(r *Record) { r.Generations[0].Jobs[0].RoleARN += "x" }, "token"},
		"generations renumbered":   {func(r *Record) { r.Generations[0].Generation = 3 }, "numbered"},
		"not a job id":             {func(r *Record) { r.Generations[0].Jobs[0].ID = "../x" }, "not a job id"},
		"a start in the future":    {func(r *Record) { r.Generations[0].CreatedBefore = time.Now().Add(24 * time.Hour) }, "future"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			raw, _ := json.Marshal(good)
			var r Record
			_ = json.Unmarshal(raw, &r)
			tc.mut(&r)
			raw, _ = json.Marshal(r)
			putRecord(t, st, b, raw)
			_, _, err := ReadRecord(context.Background(), st, b)
			var re *RecordError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadRecord: %v, want a RecordError with %q", err, tc.want)
			}
		})
	}
	t.Run("unknown field", func(t *testing.T) {
		putRecord(t, st, b, []byte(`{"format":"sseguard-batch-record/1","account":"`+account+`","bucket":"media-hls","finished":true}`))
		if _, _, err := ReadRecord(context.Background(), st, b); err == nil || !strings.Contains(err.Error(), "finished") {
			t.Errorf("ReadRecord: %v", err)
		}
	})
	t.Run("another requirement's: ignored, not an error", func(t *testing.T) {
		raw, _ := json.Marshal(Record{Format: RecordFormat, Account: account, Bucket: "media-hls", Requirement: "0000000000000000"})
		putRecord(t, st, b, raw)
		r, etag, err := ReadRecord(context.Background(), st, b)
		if r != nil || err != nil || etag == "" {
			t.Errorf("ReadRecord: %+v, %q, %v", r, etag, err)
		}
	})
}

// TestRecordWritesAreConditional: a record changed since it was read is not overwritten.
func TestRecordWritesAreConditional(t *testing.T) {
	st, reports := store(t)
	b := base(reports)
	ctx := context.Background()
	r := &Record{Format: RecordFormat, Account: account, Bucket: b.Bucket, Requirement: b.Requirement()}
	etag, err := WriteRecord(ctx, st, b, r, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteRecord(ctx, st, b, r, ""); err == nil {
		t.Error("a second new record overwrote the first")
	}
	r.Generations = []RecordGeneration{{Generation: 0, CreatedBefore: start}}
	if _, err := WriteRecord(ctx, st, b, r, etag); err != nil {
		t.Errorf("writing over the version read: %v", err)
	}
	r.Generations = append(r.Generations, RecordGeneration{Generation: 1, CreatedBefore: start})
	if _, err := WriteRecord(ctx, st, b, r, etag); err == nil || !strings.Contains(err.Error(), "changed since this run read it") {
		t.Errorf("writing over a version not read: %v", err)
	}
	// Another account's bucket of the same name is never read: ExpectedBucketOwner.
	other := b
	other.Account = "999999999999"
	if _, _, err := ReadRecord(ctx, st, other); err == nil {
		t.Error("the record was read with another account as its expected owner")
	}
}

func TestReadFailures(t *testing.T) {
	st, reports := store(t)
	b := base(reports)
	ctx := context.Background()
	dir := b.ReportBase() + "/job-j1/"
	put := func(key string, body []byte) {
		if _, err := st.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(reports), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	results := []byte("media-hls,videos/a.mov,,failed,AccessDenied,403,Access Denied\nmedia-hls,\"videos/b,c.mov\",,failed,NoSuchKey,404,gone\n")
	sum := md5.Sum(results)
	put(dir+"results/r1.csv", results)
	put(dir+"results/evil.csv", []byte("x,attacker,,failed,X,1,y\n"))
	manifest, _ := json.Marshal(map[string]any{"Format": "Report_CSV_20180820", "ReportSchema": "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage",
		"Results": []map[string]string{
			{"TaskExecutionStatus": "failed", "Bucket": reports, "MD5Checksum": hex.EncodeToString(sum[:]), "Key": dir + "results/r1.csv"},
			{"TaskExecutionStatus": "failed", "Bucket": "attacker-bucket", "MD5Checksum": "00", "Key": dir + "results/evil.csv"},
			{"TaskExecutionStatus": "failed", "Bucket": reports, "MD5Checksum": "00", "Key": dir + "results/evil.csv"},
		}})
	put(dir+"manifest.json", manifest)
	f, err := ReadFailures(ctx, st, b, "j1")
	if err != nil {
		t.Fatal(err)
	}
	want := []FailedTask{{Key: "videos/a.mov", ErrorCode: "AccessDenied", HTTPStatus: "403", Message: "Access Denied"}, {Key: "videos/b,c.mov", ErrorCode: "NoSuchKey", HTTPStatus: "404", Message: "gone"}}
	if diff := cmp.Diff(want, f.Tasks); diff != "" {
		t.Errorf("failed tasks (-want +got):\n%s", diff)
	}
	if !strings.Contains(f.Note, "outside the job's report location") || !strings.Contains(f.Note, "MD5") {
		t.Errorf("note %q: want the file of another bucket and the one with a wrong MD5 named", f.Note)
	}
	if f.Location != "s3://"+reports+"/"+dir+"manifest.json" {
		t.Errorf("location %q", f.Location)
	}
	if _, err := ReadFailures(ctx, st, b, "missing"); err == nil {
		t.Error("a missing report read without an error")
	}
}

func TestParseDescriptionRefusesOthers(t *testing.T) {
	s := with(base("r"), PutObjectCopy, KindNotSSE, "STANDARD_IA")
	s.Generation = 12
	d, ok := parseDescription(s.Description())
	if !ok || d.requirement != s.Requirement() || d.generation != 12 || d.operation != s.Operation || d.kind != s.Kind || d.storageClass != "STANDARD_IA" {
		t.Errorf("parse %q: %+v %v", s.Description(), d, ok)
	}
	for _, in := range []string{"", "sseguard", "sseguard abc g1 S3PutObjectCopy NOT-SSE STANDARD", "sseguard 0123456789abcdef gx S3PutObjectCopy NOT-SSE STANDARD",
		"sseguard 0123456789abcdef g-1 a b", "sseguard 0123456789abcdef g01 S3UpdateObjectEncryption SSE-S3", "sseguard 0123456789abcdef g1 S3PutObjectCopy NOT-SSE",
		"sseguard 0123456789abcdef g1 S3UpdateObjectEncryption SSE-S3 STANDARD", "sseguard 0123456789abcdef g1 LambdaInvoke SSE-S3", "someone else's job"} {
		if _, ok := parseDescription(in); ok {
			t.Errorf("%q parsed as sseguard's", in)
		}
	}
}

func TestLoopbackResolverKeepsHostNames(t *testing.T) {
	r := loopbackResolver{next: s3control.NewDefaultEndpointResolverV2()}
	p := s3control.EndpointParameters{Region: aws.String("us-east-1"), AccountId: aws.String(account), RequiresAccountId: aws.Bool(true)}
	e, err := r.ResolveEndpoint(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.URI.Host, account+".s3-control.") {
		t.Errorf("AWS endpoint host %q lost its account label", e.URI.Host)
	}
	p.Endpoint = aws.String("http://127.0.0.1:9")
	e, err = r.ResolveEndpoint(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if e.URI.Host != "127.0.0.1:9" {
		t.Errorf("loopback endpoint host %q", e.URI.Host)
	}
}
