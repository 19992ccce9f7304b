package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"github.com/sseguard/sseguard/internal/batchops"
	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// batchSide holds the run's S3 Control clients (one per region) for buckets that use S3 Batch
// Operations, made on first use: a policy without batch_operations never builds one. Plan and
// apply use it one call at a time.
type batchSide struct {
	clients map[string]batchops.API
	// start is the run's start: the jobs' manifests take objects created before it.
	start time.Time
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

func (p *Pipeline) runStart() time.Time {
	if p.batch.start.IsZero() {
		p.batch.start = time.Now().UTC().Truncate(time.Second)
	}
	return p.batch.start
}

// usesBatch reports whether a bucket may hand its re-encryption to Batch Operations.
func usesBatch(b policy.Bucket) bool {
	return b.Batch != nil && b.ExistingObjects == policy.ObjectsReencrypt && b.EngineOrAuto() != policy.EngineLocal
}

// planWithBatch computes the plan, learning first what engine: auto weighs (a listing of each
// auto bucket that apply has not scanned) and then each batch bucket's jobs of its latest
// generation.
//
// When every job of a bucket's latest generation has ended, the bucket is scanned (with runner)
// to check what is left; objects too large for a copy job are counted apart.
func (p *Pipeline) planWithBatch(ctx context.Context, c AWS, runner *objectRunner, pol *policy.Policy, st *state.State) (*plan.Plan, error) {
	in := plan.Inputs{Batch: map[string]plan.BatchInput{}, ObjectBudget: p.Objects.MaxObjects, Now: time.Now()}
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
	found := false
	for _, ch := range pl.Changes {
		if ch.Engine != plan.EngineBatch || ch.Rule == nil {
			continue
		}
		req := batchops.Requirement(ch, *ch.Rule, st.Account)
		if req == "" {
			continue // the key is created by this plan: no job can exist for it yet
		}
		api, err := p.batchClient(ctx, c, st.Account, ch.Region)
		if err != nil {
			return nil, err
		}
		jobs, err := batchops.Latest(ctx, api, st.Account, req)
		if err != nil {
			return nil, fmt.Errorf("look for the Batch Operations jobs of %s: %w", ch.Bucket, err)
		}
		if len(jobs) == 0 {
			continue
		}
		found = true
		bi := in.Batch[ch.Bucket]
		bi.Finished = true
		for _, j := range jobs {
			pj := batchops.PlanJob(j, ch.Region, st.Account)
			bi.Jobs = append(bi.Jobs, pj)
			bi.Finished = bi.Finished && pj.Ended()
		}
		if bi.Finished && runner != nil {
			// Every job of the generation has ended: a check scan (an S3 Inventory when the
			// bucket has a usable one, else a HEAD per object) says whether anything is left
			// before the bucket reads in sync.
			ob := st.Buckets[ch.Bucket]
			fmt.Fprintf(p.log(), "  objects %s: every Batch Operations job of generation %d has ended; checking the bucket\n", ch.Bucket, jobs[0].Generation)
			counts, large, err := runner.check(ctx, observe.ScanTarget{Bucket: ch.Bucket, Region: ch.Region, Algorithm: ch.Rule.Algorithm,
				KeyARN: ch.Rule.KeyARN, BucketKey: ch.Rule.BucketKey, Prefixes: ch.Prefixes, Owner: st.Account, BucketPolicy: ob.Policy},
				plan.CopiedKinds(ch.Rule.Algorithm), plan.MaxBatchCopySize)
			if err != nil {
				return nil, fmt.Errorf("check %s after its Batch Operations jobs ended: %w", ch.Bucket, err)
			}
			ob.Objects, ob.ObjectsDeferred = counts, false
			bi.TooLarge = large
		}
		in.Batch[ch.Bucket] = bi
	}
	if !found {
		return pl, nil
	}
	return plan.ComputeWith(pol, st, in), nil
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
