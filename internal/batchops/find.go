package batchops

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/smithy-go"

	"github.com/sseguard/sseguard/internal/plan"
)

// StatusExpired is the status of a job the bucket's record names that AWS no longer knows: it
// ended at least 90 days before (AWS deletes only ended jobs), with the outcome the record holds,
// if any.
const StatusExpired = plan.StatusExpired

// Found is what a run learns of a requirement's jobs, from the bucket's record and ListJobs.
type Found struct {
	// Generation is the latest generation (-1: none yet).
	Generation int
	// CreatedBefore is the latest generation's start (zero: not known).
	CreatedBefore time.Time
	// Jobs are the latest generation's jobs, each verified to be exactly the job sseguard creates.
	Jobs []*Job
	// Missing are jobs the record says the latest generation was to have, that no run created.
	Missing []Spec
	// Foreign are jobs that carry sseguard's description for this requirement but not its shape.
	Foreign []*ForeignError
	// Record is the bucket's record for the requirement (nil: none yet); RecordETag the version
	// read (also of a record of another requirement, to write over it).
	Record     *Record
	RecordETag string
	// RecordErr says why the record cannot be believed (nil: it can, or there is none).
	RecordErr error
}

type listed struct {
	id, description string
	d               described
	ok              bool
}

// listRequirement lists the account's jobs whose description names the requirement (ListJobs
// lists jobs not yet ended and those ended within 90 days).
func listRequirement(ctx context.Context, api API, account, requirement string) ([]listed, error) {
	var out []listed
	var next *string
	for page := 0; ; page++ {
		if page == 100 {
			return nil, fmt.Errorf("list batch jobs of account %s: more than 100 pages", account)
		}
		res, err := api.ListJobs(ctx, &s3control.ListJobsInput{AccountId: aws.String(account), NextToken: next})
		if err != nil {
			return nil, fmt.Errorf("list batch jobs of account %s: %w", account, err)
		}
		for _, j := range res.Jobs {
			desc := aws.ToString(j.Description)
			if j.JobId == nil || !strings.HasPrefix(desc, descriptionPrefix(requirement)) {
				continue
			}
			d, ok := parseDescription(desc)
			out = append(out, listed{id: *j.JobId, description: desc, d: d, ok: ok})
		}
		if res.NextToken == nil || *res.NextToken == "" {
			return out, nil
		}
		next = res.NextToken
	}
}

// specOf is the spec a job of the requirement with this description would have: the recorded
// parameters when the record holds the job, else base's with the generation's recorded start
// (zero when not recorded: Verify then checks the job's own).
func specOf(base Spec, d described, r *Record) Spec {
	s := base
	s.Operation, s.Kind, s.StorageClass, s.Generation = d.operation, d.kind, d.storageClass, d.generation
	s.MaxObjectSize = 0
	if d.operation == PutObjectCopy {
		s.MaxObjectSize = MaxCopySize
	}
	s.CreatedBefore = time.Time{}
	if g := r.generation(d.generation); g != nil {
		if rj := g.job(s); rj != nil {
			return rj.spec(base, *g)
		}
		s.CreatedBefore = g.CreatedBefore
	}
	return s
}

// MaxCopySize is the largest object a copy job takes (plan.MaxBatchCopySize).
const MaxCopySize = plan.MaxBatchCopySize

func (j *Job) key() string { return string(j.Operation) + " " + string(j.Kind) + " " + j.StorageClass }

func specKey(s Spec) string { return string(s.Operation) + " " + string(s.Kind) + " " + s.StorageClass }

// adopt fills in what the spec says of a verified job.
func (j *Job) adopt(s Spec) {
	j.Operation, j.Kind, j.StorageClass, j.Generation = s.Operation, s.Kind, s.StorageClass, s.Generation
	j.CreatedBefore = s.CreatedBefore
	if g, ok := j.descriptor.ManifestGenerator.(*types.JobManifestGeneratorMemberS3JobManifestGenerator); ok && g.Value.Filter != nil && j.CreatedBefore.IsZero() {
		j.CreatedBefore = aws.ToTime(g.Value.Filter.CreatedBefore)
	}
}

// Find reads what is known of the requirement's jobs (base: the requirement's spec, without
// operation, kind or generation): the bucket's record, then every job ListJobs lists under the
// requirement's description (each described and verified), then the record's jobs of the latest
// generation that ListJobs no longer lists.
func Find(ctx context.Context, api API, store Store, base Spec) (*Found, error) {
	f := &Found{Generation: -1}
	rec, etag, err := ReadRecord(ctx, store, base)
	var rerr *RecordError
	switch {
	case errors.As(err, &rerr):
		f.RecordErr, f.RecordETag = err, etag
	case err != nil:
		return nil, err
	default:
		f.Record, f.RecordETag = rec, etag
	}
	list, err := listRequirement(ctx, api, base.Account, base.Requirement())
	if err != nil {
		return nil, err
	}
	latest := -1
	if f.Record != nil {
		latest = len(f.Record.Generations) - 1
	}
	for _, l := range list {
		if l.ok && l.d.generation > latest {
			latest = l.d.generation
		}
	}
	byKey := map[string]*Job{}
	for _, l := range list {
		if !l.ok {
			f.Foreign = append(f.Foreign, &ForeignError{ID: l.id, Description: l.description,
				Why: []string{"its description names this requirement but is not one sseguard writes"}})
			continue
		}
		j, err := Describe(ctx, api, base.Account, l.id)
		if errors.Is(err, errNoJob) {
			continue // gone since the listing
		}
		if err != nil {
			return nil, err
		}
		s := specOf(base, l.d, f.Record)
		if ours, err := f.verify(s, j); !ours {
			if err != nil {
				return nil, err
			}
			continue
		}
		j.adopt(s)
		if l.d.generation == latest && byKey[j.key()] == nil {
			byKey[j.key()] = j
		}
	}
	if g := f.Record.generation(latest); g != nil {
		f.CreatedBefore = g.CreatedBefore
		for _, rj := range g.Jobs {
			s := rj.spec(base, *g)
			if byKey[specKey(s)] != nil {
				continue
			}
			if rj.ID == "" {
				f.Missing = append(f.Missing, s)
				continue
			}
			j, err := Describe(ctx, api, base.Account, rj.ID)
			switch {
			case errors.Is(err, errNoJob):
				// AWS deletes a job only 90 days after it ended: it ended, as the record says.
				j = &Job{ID: rj.ID, Status: StatusExpired, Terminated: rj.Terminated, Total: rj.Total, Failed: rj.Failed,
					Succeeded: rj.Total - rj.Failed, RecordedStatus: rj.Status}
			case err != nil:
				return nil, err
			default:
				if ours, err := f.verify(s, j); !ours {
					if err != nil {
						return nil, err
					}
					continue
				}
			}
			j.Operation, j.Kind, j.StorageClass, j.Generation, j.CreatedBefore = s.Operation, s.Kind, s.StorageClass, s.Generation, s.CreatedBefore
			byKey[specKey(s)] = j
		}
	}
	f.Generation = latest
	for _, j := range byKey {
		f.Jobs = append(f.Jobs, j)
		if f.CreatedBefore.IsZero() {
			f.CreatedBefore = j.CreatedBefore
		}
	}
	sort.Slice(f.Jobs, func(a, b int) bool { return jobOrder(f.Jobs[a]) < jobOrder(f.Jobs[b]) })
	sort.Slice(f.Foreign, func(a, b int) bool { return f.Foreign[a].ID < f.Foreign[b].ID })
	return f, nil
}

// verify says whether j is the job s describes. A job of another shape is kept in f.Foreign (once,
// though the listing and the record may both name it); any other error is answered.
func (f *Found) verify(s Spec, j *Job) (bool, error) {
	err := Verify(s, j)
	var fe *ForeignError
	switch {
	case err == nil:
		return true, nil
	case !errors.As(err, &fe):
		return false, err
	}
	for _, seen := range f.Foreign {
		if seen.ID == fe.ID {
			return false, nil
		}
	}
	f.Foreign = append(f.Foreign, fe)
	return false, nil
}

// jobOrder sorts jobs as the plan lists them: updates first, then copies, by kind and class.
func jobOrder(j *Job) string {
	order := map[Kind]string{KindSSES3: "1", KindSSEKMS: "2", KindNotSSE: "3", KindDSSE: "4"}
	return string(j.Operation)[:3] + order[j.Kind] + string(j.Kind) + " " + j.StorageClass
}

// Ensure makes sure generation gen of the requirement has the jobs specs describes (base with
// each job's operation, kind, class and size; their generation and start are Ensure's): the
// record first holds the generation's start and every job's token (written before any CreateJob,
// so a later run sends the same tokens with the same parameters), then each job found (by Find) is
// kept and each other created. A CreateJob whose answer was lost is sent again with the same
// token, then looked for. Every job is verified against its spec: a token that answers someone
// else's job is an error, never adopted. It answers the jobs made or found so far with any error.
func Ensure(ctx context.Context, api API, store Store, base Spec, f *Found, gen int, specs []Spec, start time.Time) ([]*Job, error) {
	if f.RecordErr != nil {
		return nil, f.RecordErr
	}
	rec, etag := f.Record, f.RecordETag
	if rec == nil {
		rec = &Record{Format: RecordFormat, Account: base.Account, Bucket: base.Bucket, Requirement: base.Requirement()}
	}
	createdBefore := start.UTC().Truncate(time.Second)
	if gen == f.Generation && !f.CreatedBefore.IsZero() {
		createdBefore = f.CreatedBefore
	}
	for len(rec.Generations) <= gen {
		// Generations sseguard made without a record (an earlier version, a record lost) are
		// kept as numbers: the jobs AWS still lists are found by their descriptions.
		rec.Generations = append(rec.Generations, RecordGeneration{Generation: len(rec.Generations), CreatedBefore: createdBefore})
	}
	g := &rec.Generations[gen]
	existing := map[string]*Job{}
	if gen == f.Generation {
		for _, j := range f.Jobs {
			existing[j.key()] = j
		}
	}
	var want []Spec
	changed := false
	for _, s := range specs {
		s.Generation, s.CreatedBefore = gen, g.CreatedBefore
		if existing[specKey(s)] != nil {
			continue
		}
		want = append(want, s)
		switch rj := g.job(s); {
		case rj == nil:
			g.Jobs = append(g.Jobs, recordJob(s))
			changed = true
		case rj.Token != s.Token() && rj.ID == "":
			*rj = recordJob(s) // the parameters changed before the job was made
			changed = true
		}
	}
	var out []*Job
	for _, s := range specs {
		s.Generation = gen
		if j := existing[specKey(s)]; j != nil {
			out = append(out, j)
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	var err error
	if changed {
		if etag, err = WriteRecord(ctx, store, base, rec, etag); err != nil {
			return out, fmt.Errorf("batch jobs for bucket %s: nothing created: %w", base.Bucket, err)
		}
	}
	var createErr error
	for _, s := range want {
		j, err := create(ctx, api, s)
		if err != nil {
			createErr = err
			break
		}
		if rj := g.job(s); rj != nil && rj.Token == s.Token() {
			rj.ID = j.ID
		}
		out = append(out, j)
	}
	f.Record = rec
	f.RecordETag, err = WriteRecord(ctx, store, base, rec, etag)
	if createErr != nil {
		return out, createErr
	}
	if err != nil {
		return out, fmt.Errorf("the jobs exist, but %w", err)
	}
	return out, nil
}

// create sends the spec's CreateJob and verifies the job it answers.
func create(ctx context.Context, api API, s Spec) (*Job, error) {
	in, err := s.Input()
	if err != nil {
		return nil, fmt.Errorf("batch job for bucket %s: %w", s.Bucket, err)
	}
	var out *s3control.CreateJobOutput
	for attempt := 0; attempt < 2; attempt++ {
		out, err = api.CreateJob(ctx, in)
		var apiErr smithy.APIError
		if err == nil || errors.As(err, &apiErr) {
			break // an answer, good or bad: the request was not lost
		}
	}
	if err != nil {
		if j, ferr := findOne(ctx, api, s); ferr == nil && j != nil {
			j.New = true
			return j, nil
		}
		return nil, fmt.Errorf("create batch job for bucket %s: %w", s.Bucket, err)
	}
	j, err := Describe(ctx, api, s.Account, aws.ToString(out.JobId))
	if err != nil {
		return nil, err
	}
	if err := Verify(s, j); err != nil {
		return nil, fmt.Errorf("CreateJob for bucket %s answered a job that is not the one sseguard asked for (not adopted): %w", s.Bucket, err)
	}
	j.adopt(s)
	j.New = true
	return j, nil
}

// findOne looks for the spec's own job by its description, and answers it once verified.
func findOne(ctx context.Context, api API, s Spec) (*Job, error) {
	list, err := listRequirement(ctx, api, s.Account, s.Requirement())
	if err != nil {
		return nil, err
	}
	for _, l := range list {
		if l.description != s.Description() {
			continue
		}
		j, err := Describe(ctx, api, s.Account, l.id)
		if err != nil {
			continue
		}
		if Verify(s, j) == nil {
			j.adopt(s)
			return j, nil
		}
	}
	return nil, nil
}

// Remember writes into the bucket's record what this run learned of the latest generation's
// jobs (ids, status, end, tasks), so that it outlives AWS's memory of them. It writes nothing when
// the record already says so, or cannot be believed.
func Remember(ctx context.Context, store Store, base Spec, f *Found) error {
	if f.RecordErr != nil || f.Generation < 0 || len(f.Jobs) == 0 {
		return nil
	}
	rec := f.Record
	if rec == nil {
		rec = &Record{Format: RecordFormat, Account: base.Account, Bucket: base.Bucket, Requirement: base.Requirement()}
	}
	cb := f.CreatedBefore
	for len(rec.Generations) <= f.Generation {
		rec.Generations = append(rec.Generations, RecordGeneration{Generation: len(rec.Generations), CreatedBefore: cb})
	}
	g := &rec.Generations[f.Generation]
	changed := f.Record == nil
	for _, j := range f.Jobs {
		if j.Status == StatusExpired {
			continue
		}
		s := specOf(base, described{generation: j.Generation, operation: j.Operation, kind: j.Kind, storageClass: j.StorageClass}, rec)
		if s.CreatedBefore.IsZero() {
			s.CreatedBefore = g.CreatedBefore
		}
		rj := g.job(s)
		if rj == nil {
			g.Jobs = append(g.Jobs, recordJob(s))
			rj = &g.Jobs[len(g.Jobs)-1]
			changed = true
		}
		if rj.ID == "" || rj.ID == j.ID {
			next := *rj
			next.ID, next.Status, next.Terminated, next.Total, next.Failed = j.ID, j.Status, j.Terminated.UTC(), j.Total, j.Failed
			if next != *rj {
				*rj, changed = next, true
			}
		}
	}
	if !changed {
		return nil
	}
	etag, err := WriteRecord(ctx, store, base, rec, f.RecordETag)
	if err != nil {
		return err
	}
	f.Record, f.RecordETag = rec, etag
	return nil
}
