package batchops

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/s3controltest"
)

const account = "123456789012"

var keyARN = "arn:aws:kms:us-east-1:" + account + ":key/11111111-2222-3333-4444-555555555555"

func client(t *testing.T, srv *s3controltest.Server) *s3control.Client {
	t.Helper()
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(srv.URL),
	}
	return NewClient(cfg, "us-east-1")
}

func spec() Spec {
	return Spec{
		Account: account, Bucket: "media-hls", Operation: UpdateObjectEncryption, KMSKeyARN: keyARN, BucketKey: true,
		Kind:     KindSSES3,
		Prefixes: []string{"videos/"}, CreatedBefore: time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC),
		RoleARN: "arn:aws:iam::" + account + ":role/batch", ReportBucket: "reports", ReportPrefix: "sseguard/",
		ConfirmationRequired: true, Priority: 10, Revision: "abc123",
	}
}

func TestEnsureCreatesOnceWithTheSpecShape(t *testing.T) {
	srv := s3controltest.New()
	defer srv.Close()
	c := client(t, srv)
	ctx := context.Background()

	j, err := Ensure(ctx, c, spec())
	if err != nil {
		t.Fatal(err)
	}
	if !j.New || j.Status != "New" {
		t.Errorf("first Ensure: New=%v status=%s, want a new job in New", j.New, j.Status)
	}
	again, err := Ensure(ctx, c, spec())
	if err != nil {
		t.Fatal(err)
	}
	if again.New || again.ID != j.ID {
		t.Errorf("second Ensure: New=%v id=%s, want the first job %s found", again.New, again.ID, j.ID)
	}
	creates := srv.Creates()
	if len(creates) != 1 {
		t.Fatalf("%d CreateJob requests, want 1", len(creates))
	}
	cr := creates[0].Create
	if creates[0].Account != account {
		t.Errorf("x-amz-account-id %q", creates[0].Account)
	}
	if cr.Operation.S3UpdateObjectEncryption == nil || *cr.Operation.S3UpdateObjectEncryption.ObjectEncryption.SSEKMS.KMSKeyArn != keyARN || !*cr.Operation.S3UpdateObjectEncryption.ObjectEncryption.SSEKMS.BucketKeyEnabled {
		t.Errorf("operation %+v", cr.Operation)
	}
	f := cr.ManifestGenerator.S3.Filter
	var kinds []string
	for _, k := range f.Encryption {
		kinds = append(kinds, k.Name())
	}
	if diff := cmp.Diff([]string{"SSE-S3"}, kinds); diff != "" {
		t.Errorf("filter kinds (-want +got):\n%s", diff)
	}
	if f.ObjectSizeLessThanBytes != nil {
		t.Errorf("an update job limited to objects under %d bytes", *f.ObjectSizeLessThanBytes)
	}
	if diff := cmp.Diff([]string{"videos/"}, f.MatchAnyPrefix); diff != "" {
		t.Errorf("prefixes (-want +got):\n%s", diff)
	}
	if f.CreatedBefore != "2026-11-29T20:00:00Z" {
		t.Errorf("CreatedBefore %q", f.CreatedBefore)
	}
	if *cr.Report.Bucket != "arn:aws:s3:::reports" || cr.Report.Prefix != "sseguard/media-hls" || cr.Report.ReportScope != "FailedTasksOnly" {
		t.Errorf("report %+v", cr.Report)
	}
	if *cr.ClientRequestToken != spec().Token() || len(*cr.ClientRequestToken) > 64 {
		t.Errorf("token %q", *cr.ClientRequestToken)
	}
	tags := map[string]string{}
	for _, tg := range cr.Tags {
		tags[tg.Key] = tg.Value
	}
	if diff := cmp.Diff(map[string]string{"sseguard:bucket": "media-hls", "sseguard:target": keyARN, "sseguard:revision": "abc123", "sseguard:generation": "0"}, tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestEnsureLostAnswerLeavesOneJob(t *testing.T) {
	srv := s3controltest.New()
	defer srv.Close()
	c := client(t, srv)
	srv.DropNextCreateAnswers(1)
	j, err := Ensure(context.Background(), c, spec())
	if err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Jobs()); got != 1 {
		t.Fatalf("%d jobs after a lost answer, want 1", got)
	}
	if j.ID != srv.Jobs()[0].ID {
		t.Errorf("Ensure answered %s, the job is %s", j.ID, srv.Jobs()[0].ID)
	}
}

func TestProgressAndConfirmation(t *testing.T) {
	srv := s3controltest.New(s3controltest.WithTasks(func(s3controltest.CreateJobRequest) (int64, int64) { return 100, 4 }))
	defer srv.Close()
	c := client(t, srv)
	ctx := context.Background()
	j, err := Ensure(ctx, c, spec())
	if err != nil {
		t.Fatal(err)
	}
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
	if _, err := srv.Advance(j.ID); err != nil {
		t.Fatal(err)
	}
	d, err := Describe(ctx, c, account, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != "Complete" || d.Succeeded != 96 || d.Failed != 4 {
		t.Errorf("complete job %+v", d)
	}
	// Confirming a job that is not waiting is refused.
	_, err = c.UpdateJobStatus(ctx, &s3control.UpdateJobStatusInput{AccountId: aws.String(account), JobId: aws.String(j.ID), RequestedJobStatus: "Ready"})
	if err == nil || !strings.Contains(err.Error(), "JobStatusException") {
		t.Errorf("confirming a complete job: %v, want JobStatusException", err)
	}
}

func TestInputRefusesWhatTheOperationCannotDo(t *testing.T) {
	cases := map[string]struct {
		mut  func(*Spec)
		want string
	}{
		"update to sse-s3":        {func(s *Spec) { s.KMSKeyARN = "" }, "only change objects to SSE-KMS"},
		"update from unencrypted": {func(s *Spec) { s.Kind = KindNotSSE }, "cannot change NOT-SSE"},
		"update from dsse":        {func(s *Spec) { s.Kind = KindDSSE }, "cannot change DSSE-KMS"},
		"no role":                 {func(s *Spec) { s.RoleARN = "" }, "role_arn"},
		"no kind":                 {func(s *Spec) { s.Kind = "" }, "cannot change  objects"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := spec()
			tc.mut(&s)
			_, err := s.Input()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Input: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestCopySpec(t *testing.T) {
	srv := s3controltest.New()
	defer srv.Close()
	ctx := context.Background()
	c := client(t, srv)
	cp := spec()
	cp.Operation, cp.Kind, cp.MaxObjectSize = PutObjectCopy, KindNotSSE, 5<<30
	dsse := cp
	dsse.Kind = KindDSSE
	for _, s := range []Spec{spec(), cp, dsse} {
		if _, err := Ensure(ctx, c, s); err != nil {
			t.Fatal(err)
		}
	}
	creates := srv.Creates()
	if len(creates) != 3 || len(srv.Jobs()) != 3 {
		t.Fatalf("%d CreateJob requests, %d jobs; want 3 of each", len(creates), len(srv.Jobs()))
	}
	tokens := map[string]bool{}
	for i, want := range []string{"SSE-S3", "NOT-SSE", "DSSE-KMS"} {
		cr := creates[i].Create
		tokens[*cr.ClientRequestToken] = true
		f := cr.ManifestGenerator.S3.Filter
		if len(f.Encryption) != 1 || f.Encryption[0].Name() != want {
			t.Errorf("job %d filters %+v, want %s alone", i, f.Encryption, want)
		}
		if i == 0 {
			continue
		}
		op := cr.Operation.S3PutObjectCopy
		// Metadata and tags kept: COPY, and neither NewObjectMetadata nor NewObjectTagging.
		if op == nil || *op.TargetResource != "arn:aws:s3:::media-hls" || *op.SSEAwsKmsKeyID != keyARN || op.BucketKeyEnabled == nil || !*op.BucketKeyEnabled ||
			op.MetadataDirective != "COPY" || op.NewObjectMetadata != nil || op.NewObjectTagging != nil {
			t.Errorf("copy operation %+v", op)
		}
		if f.ObjectSizeLessThanBytes == nil || *f.ObjectSizeLessThanBytes != 5<<30+1 {
			t.Errorf("copy job %d size filter %v, want objects of 5 GiB or less", i, f.ObjectSizeLessThanBytes)
		}
	}
	if len(tokens) != 3 {
		t.Errorf("the three jobs share tokens: %v", tokens)
	}
}

func TestLatestFollowsGenerations(t *testing.T) {
	srv := s3controltest.New()
	defer srv.Close()
	ctx := context.Background()
	c := client(t, srv)
	upd := spec()
	cp := spec()
	cp.Operation, cp.Kind, cp.MaxObjectSize = PutObjectCopy, KindNotSSE, 5<<30
	other := spec()
	other.Bucket = "other"
	for _, s := range []Spec{upd, cp, other} {
		if _, err := Ensure(ctx, c, s); err != nil {
			t.Fatal(err)
		}
	}
	jobs, err := Latest(ctx, c, account, upd.Requirement())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range jobs {
		got = append(got, fmt.Sprintf("%s %s %d", j.Operation, j.Kind, j.Generation))
	}
	if diff := cmp.Diff([]string{"S3PutObjectCopy NOT-SSE 0", "S3UpdateObjectEncryption SSE-S3 0"}, got); diff != "" {
		t.Errorf("generation 0 (-want +got):\n%s", diff)
	}
	// The next generation: a new token, so a new job, which Latest then answers alone.
	next := cp
	next.Generation = 1
	if next.Token() == cp.Token() {
		t.Fatal("generation 1 reuses generation 0's token")
	}
	j1, err := Ensure(ctx, c, next)
	if err != nil || !j1.New {
		t.Fatalf("generation 1: %+v, %v", j1, err)
	}
	again, err := Ensure(ctx, c, next)
	if err != nil || again.New || again.ID != j1.ID {
		t.Fatalf("generation 1 again: %+v, %v; want %s found", again, err, j1.ID)
	}
	jobs, err = Latest(ctx, c, account, upd.Requirement())
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].ID != j1.ID || jobs[0].Generation != 1 {
		t.Errorf("latest generation %+v, want job %s alone", jobs, j1.ID)
	}
	if len(srv.Jobs()) != 4 {
		t.Errorf("%d jobs, want 4", len(srv.Jobs()))
	}
}

func TestParseDescriptionRefusesOthers(t *testing.T) {
	s := spec()
	s.Generation = 12
	req, gen, op, kind, ok := parseDescription(s.Description())
	if !ok || req != s.Requirement() || gen != 12 || op != s.Operation || kind != s.Kind {
		t.Errorf("parse %q: %s %d %s %s %v", s.Description(), req, gen, op, kind, ok)
	}
	for _, d := range []string{"", "sseguard", "sseguard abc g1 S3PutObjectCopy NOT-SSE", "sseguard 0123456789abcdef gx S3PutObjectCopy NOT-SSE", "sseguard 0123456789abcdef g-1 a b", "someone else's job"} {
		if _, _, _, _, ok := parseDescription(d); ok {
			t.Errorf("%q parsed as sseguard's", d)
		}
	}
}

func TestTokenIgnoresRunStart(t *testing.T) {
	a, b := spec(), spec()
	b.CreatedBefore = b.CreatedBefore.Add(time.Hour)
	if a.Token() != b.Token() {
		t.Error("a later run of the same policy gets another token")
	}
	b.Revision = "def456"
	if a.Token() == b.Token() {
		t.Error("a new policy revision keeps the token")
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
