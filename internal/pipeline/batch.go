package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"github.com/sseguard/sseguard/internal/awserr"
	"github.com/sseguard/sseguard/internal/batchops"
	"github.com/sseguard/sseguard/internal/objects"
	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/sanitize"
	"github.com/sseguard/sseguard/internal/state"
)

// batchSide holds the run's S3 Control clients (one per region) for buckets that use S3 Batch
// Operations, made on first use: a policy without batch_operations never builds one. Plan and
// apply use it one call at a time.
type batchSide struct {
	clients map[string]batchops.API
	// start is the run's start: a new generation's manifests take objects created before it.
	start time.Time
	// remember says this run writes what it learns of the jobs into each bucket's record (apply).
	remember bool
}

// batchClient answers the S3 Control client of account (whose clients are own) in region.
func (p *Pipeline) batchClient(ctx context.Context, own AWS, account, region string) (batchops.API, error) {
	key := account + "|" + region
	if c, ok := p.batch.clients[key]; ok {
		return c, nil
	}
	var (
		c   batchops.API
		err error
	)
	if p.BatchClient != nil {
		c, err = p.BatchClient(ctx, region)
	} else if sdk, ok := own.(interface{ Config() aws.Config }); ok {
		// The account's own configuration: its credentials (an assumed role's in a member
		// account), endpoint and connection pool.
		c = batchops.NewClient(sdk.Config(), region)
	} else {
		// The SDK's default configuration: the same credentials as the other clients, and the
		// endpoint from AWS_ENDPOINT_URL_S3_CONTROL (or AWS_ENDPOINT_URL) when set.
		cfg, lerr := config.LoadDefaultConfig(ctx, config.WithRegion(region))
		if lerr != nil {
			return nil, fmt.Errorf("load AWS configuration for S3 Batch Operations: %w", lerr)
		}
		c = batchops.NewClient(cfg, region)
	}
	if err != nil {
		return nil, err
	}
	if p.batch.clients == nil {
		p.batch.clients = map[string]batchops.API{}
	}
	p.batch.clients[key] = c
	return c, nil
}

// batchStore is the S3 client that reads and writes a bucket's record and reads its jobs'
// completion reports (in the report bucket).
func batchStore(own AWS, region string) (batchops.Store, error) {
	if s, ok := own.Objects(region).(batchops.Store); ok {
		return s, nil
	}
	return nil, errors.New("this run's S3 client cannot read the Batch Operations record")
}

func (p *Pipeline) runStart() time.Time {
	if p.batch.start.IsZero() {
		// The next whole second: S3 dates objects to the second (HeadObject's Last-Modified), so
		// an object written in the run's first second is taken too; taking one that already has
		// the right encryption costs nothing (the job's filter leaves it out).
		p.batch.start = time.Now().UTC().Truncate(time.Second).Add(time.Second)
	}
	return p.batch.start
}

// usesBatch reports whether a bucket may hand its re-encryption to Batch Operations.
func usesBatch(b policy.Bucket) bool {
	return b.Batch != nil && b.ExistingObjects == policy.ObjectsReencrypt && b.EngineOrAuto() != policy.EngineLocal
}

// planWithBatch computes the plan, learning first what engine: auto weighs (a listing of each
// auto bucket that apply has not scanned) and then, for each bucket on Batch Operations, its
// requirement's jobs (the bucket's record and ListJobs, each job verified), whether a copy job
// would lose anything, and the counts jobs are planned from: the check scan once every job of the
// latest generation has ended, or the bucket's S3 Inventory before the first generation.
func (p *Pipeline) planWithBatch(ctx context.Context, c AWS, runner *objectRunner, pol *policy.Policy, st *state.State) (*plan.Plan, error) {
	in := plan.Inputs{Batch: map[string]plan.BatchInput{}, ObjectBudget: p.op.Options.Objects.MaxObjects, Now: time.Now(),
		RetryFailedBatch: p.op.Options.RetryFailedBatch, Prices: p.op.Options.Prices}
	batchBuckets := false
	for _, b := range pol.Buckets {
		ob := st.Buckets[b.Name]
		if !usesBatch(b) || ob == nil || !ob.Exists || ob.Err != "" {
			continue
		}
		batchBuckets = true
		bi := plan.BatchInput{Listed: -1}
		if b.EngineOrAuto() == policy.EngineAuto && ob.Objects == nil {
			limit := in.ObjectBudget
			if limit <= 0 {
				limit = plan.AutoBatchObjects
			}
			n, all, err := batchops.Count(ctx, c.Objects(ob.Region), b.Name, st.Account, b.Prefixes, limit)
			if err != nil {
				return nil, fmt.Errorf("count the objects of %s for engine: auto: %w", b.Name, err)
			}
			bi.Listed, bi.ListedAll = n, all
		}
		in.Batch[b.Name] = bi
	}
	pl := plan.ComputeWith(pol, st, in)
	if !batchBuckets {
		return pl, nil
	}
	again := false
	for _, ch := range pl.Changes {
		if ch.Engine != plan.EngineBatch || ch.Rule == nil {
			continue
		}
		base, err := batchops.Base(ch, *ch.Rule, st.Account, st.Partition)
		if err != nil {
			continue // the key is created by this plan: no job can exist for it yet
		}
		if err := p.learnBatch(ctx, c, runner, pol, st, ch, base, in.Batch); err != nil {
			return nil, err
		}
		again = true
	}
	if !again {
		return pl, nil
	}
	return plan.ComputeWith(pol, st, in), nil
}

// learnBatch fills in what the plan needs to know of one bucket on Batch Operations.
func (p *Pipeline) learnBatch(ctx context.Context, c AWS, runner *objectRunner, pol *policy.Policy, st *state.State, ch plan.Change, base batchops.Spec, inputs map[string]plan.BatchInput) error {
	bi := inputs[ch.Bucket]
	defer func() { inputs[ch.Bucket] = bi }()
	api, err := p.batchClient(ctx, c, st.Account, ch.Region)
	if err != nil {
		return err
	}
	store, err := batchStore(c, ch.Region)
	if err != nil {
		return err
	}
	bi.CopyFactsRead, bi.ObjectOwnership, bi.Website, bi.CopyFactsErr = copyFacts(ctx, c.Objects(ch.Region), ch.Bucket, st.Account)
	found, err := batchops.Find(ctx, api, store, base)
	if err != nil {
		return fmt.Errorf("look for the Batch Operations jobs of %s: %w", ch.Bucket, err)
	}
	bi.Record = base.RecordLocation()
	if found.RecordErr != nil {
		bi.RecordErr = found.RecordErr.Error()
	}
	bi.Jobs, bi.Missing, bi.Foreign = batchops.PlanJobs(found, ch.Region, st.Account)
	if found.Generation >= 0 {
		bi.Started, bi.Generation = true, found.Generation
	}
	if p.batch.remember {
		// What this run learned outlives ListJobs: written into the bucket's record.
		if err := batchops.Remember(ctx, store, base, found); err != nil {
			fmt.Fprintf(p.log(), "  objects %s: %s\n", ch.Bucket, sanitize.Line(err.Error()))
		}
	}
	bi.Finished = len(bi.Jobs) > 0 && len(bi.Missing) == 0
	for _, j := range bi.Jobs {
		bi.Finished = bi.Finished && j.Ended()
	}
	if runner == nil {
		return nil
	}
	ob := st.Buckets[ch.Bucket]
	target := observe.ScanTarget{Bucket: ch.Bucket, Region: ch.Region, Algorithm: ch.Rule.Algorithm, KeyARN: ch.Rule.KeyARN,
		BucketKey: ch.Rule.BucketKey, Prefixes: ch.Prefixes, Owner: st.Account, BucketPolicy: ob.Policy}
	switch {
	case bi.Finished:
		for i, j := range bi.Jobs {
			if j.DidNotFinishCleanly() == "" || j.Status == plan.StatusExpired {
				continue
			}
			f, err := batchops.ReadFailures(ctx, store, base, j.ID)
			if f != nil {
				bi.Jobs[i].Report = f.Location
				for _, t := range f.Tasks {
					bi.Jobs[i].FailedTasks = append(bi.Jobs[i].FailedTasks, plan.FailedTask{Key: t.Key, ErrorCode: t.ErrorCode, HTTPStatus: t.HTTPStatus, Message: t.Message})
				}
				bi.Jobs[i].ReportNote = f.Note
			}
			if err != nil {
				bi.Jobs[i].ReportNote = err.Error()
			}
		}
		// Every job of the generation has ended: a check scan (an S3 Inventory newer than the
		// jobs' end, when the bucket has a usable one, else a HEAD per object) says what is left
		// before the bucket reads in sync.
		fmt.Fprintf(p.log(), "  objects %s: every Batch Operations job of generation %d has ended; checking the bucket\n", ch.Bucket, found.Generation)
		counts, tally, err := runner.check(ctx, target, lastEnd(found))
		if err != nil {
			return fmt.Errorf("check %s after its Batch Operations jobs ended: %w", ch.Bucket, err)
		}
		ob.Objects, ob.ObjectsDeferred = counts, false
		bi.Left = tally
	case !bi.Started:
		// Before the first generation: the bucket's S3 Inventory, when it has a usable one, says
		// which jobs have objects to take (the bucket is not listed: it may hold billions).
		ic, err := objects.CountInventory(ctx, c.Objects(ch.Region), runner.target(target, time.Time{}), p.op.Options.Objects)
		if err != nil {
			if err.Error() != state.NoInventoryConfigured {
				fmt.Fprintf(p.log(), "  objects %s: no inventory for planning the first jobs (%s)\n", ch.Bucket, sanitize.Line(err.Error()))
			}
			return nil
		}
		t := plan.NewBatchTally(ch.Rule.Algorithm, fmt.Sprintf("S3 Inventory %s created %s", ic.Source.InventoryID, ic.Source.Created))
		for _, g := range ic.Groups {
			t.AddFilter(g.EncryptionStatus, g.StorageClass, g.Objects, g.Over)
		}
		t.Scanned = ic.Objects
		bi.Left = t
	}
	return nil
}

// lastEnd is when sseguard last changed the bucket's objects: the end of its latest generation's
// last job. A job AWS no longer knows ended 90 days ago or more; a job whose end is not known
// counts as ending now (no inventory is older than that).
func lastEnd(f *batchops.Found) time.Time {
	var last time.Time
	for _, j := range f.Jobs {
		end := j.Terminated
		switch {
		case end.IsZero() && j.Status == batchops.StatusExpired:
			end = time.Now().Add(-90 * 24 * time.Hour)
		case end.IsZero():
			end = time.Now()
		}
		if end.After(last) {
			last = end
		}
	}
	return last
}

// copyFacts reads what says whether a copy job would lose something in the bucket: its Object
// Ownership (ACLs disabled with BucketOwnerEnforced) and whether it has a website configuration.
func copyFacts(ctx context.Context, api objects.S3API, bucket, owner string) (read bool, ownership string, website bool, errText string) {
	oc, err := api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucket), ExpectedBucketOwner: aws.String(owner)})
	switch {
	case awserr.Is(err, "OwnershipControlsNotFoundError"):
		// No ownership controls: ACLs are enabled.
	case err != nil:
		return false, "", false, "GetBucketOwnershipControls: " + sanitize.Line(err.Error())
	case oc.OwnershipControls != nil:
		for _, r := range oc.OwnershipControls.Rules {
			ownership = string(r.ObjectOwnership)
		}
	}
	_, err = api.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: aws.String(bucket), ExpectedBucketOwner: aws.String(owner)})
	switch {
	case awserr.Is(err, awserr.CodeNoWebsite):
	case err != nil:
		return false, "", false, "GetBucketWebsite: " + sanitize.Line(err.Error())
	default:
		website = true
	}
	return true, ownership, website, ""
}

// batchStarter is apply's way to Batch Operations for this run.
func (p *Pipeline) batchStarter(ctx context.Context, own AWS, account string) *batchops.Starter {
	return &batchops.Starter{
		Client: func(region string) batchops.API {
			api, err := p.batchClient(ctx, own, account, region)
			if err != nil {
				return failingAPI{err}
			}
			return api
		},
		Store: func(region string) batchops.Store {
			s, err := batchStore(own, region)
			if err != nil {
				return failingStore{err}
			}
			return s
		},
		Account: account, RunStart: p.runStart(),
	}
}

// failingAPI answers every call with the error that kept the client from being made.
type failingAPI struct{ err error }

func (f failingAPI) CreateJob(context.Context, *s3control.CreateJobInput, ...func(*s3control.Options)) (*s3control.CreateJobOutput, error) {
	return nil, f.err
}

func (f failingAPI) DescribeJob(context.Context, *s3control.DescribeJobInput, ...func(*s3control.Options)) (*s3control.DescribeJobOutput, error) {
	return nil, f.err
}

func (f failingAPI) ListJobs(context.Context, *s3control.ListJobsInput, ...func(*s3control.Options)) (*s3control.ListJobsOutput, error) {
	return nil, f.err
}

// failingStore answers every call with the error that kept the client from being found.
type failingStore struct{ err error }

func (f failingStore) GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return nil, f.err
}

func (f failingStore) PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return nil, f.err
}
