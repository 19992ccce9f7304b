package batchops

import (
	"context"
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
		Kinds: []Kind{KindSSES3, KindSSEKMS}, WrongKeyARNs: []string{"arn:aws:kms:us-east-1:" + account + ":key/old"}, BucketKeyOff: true,
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
	if diff := cmp.Diff([]string{"SSE-S3", "SSE-KMS", "SSE-KMS"}, kinds); diff != "" {
		t.Errorf("filter kinds (-want +got):\n%s", diff)
	}
	if f.Encryption[2].SSEKMS.KmsKeyArn != keyARN || f.Encryption[2].SSEKMS.BucketKeyEnabled == nil || *f.Encryption[2].SSEKMS.BucketKeyEnabled {
		t.Errorf("bucket-key-off filter %+v", f.Encryption[2].SSEKMS)
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
	if diff := cmp.Diff(map[string]string{"sseguard:bucket": "media-hls", "sseguard:target": keyARN, "sseguard:revision": "abc123"}, tags); diff != "" {
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
		"update from unencrypted": {func(s *Spec) { s.Kinds = []Kind{KindNotSSE} }, "cannot change NOT-SSE"},
		"update from dsse":        {func(s *Spec) { s.Kinds = []Kind{KindDSSE} }, "cannot change DSSE-KMS"},
		"no role":                 {func(s *Spec) { s.RoleARN = "" }, "role_arn"},
		"nothing to change":       {func(s *Spec) { s.Kinds, s.BucketKeyOff = nil, false }, "at least one kind"},
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
	s := spec()
	s.Operation, s.Kinds, s.WrongKeyARNs, s.BucketKeyOff = PutObjectCopy, []Kind{KindNotSSE, KindDSSE}, nil, false
	if _, err := Ensure(context.Background(), client(t, srv), s); err != nil {
		t.Fatal(err)
	}
	cr := srv.Creates()[0].Create
	cp := cr.Operation.S3PutObjectCopy
	if cp == nil || *cp.TargetResource != "arn:aws:s3:::media-hls" || *cp.SSEAwsKmsKeyID != keyARN || cp.MetadataDirective != "COPY" || cp.NewObjectMetadata != nil || cp.NewObjectTagging != nil {
		t.Errorf("copy operation %+v", cp)
	}
	if s.Token() == spec().Token() {
		t.Error("a copy job and an update job share a token")
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
