package policy

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Engine says what re-encrypts a bucket's existing objects.
type Engine string

// The values of engine.
const (
	// EngineAuto lets the plan choose: local while the work fits the run, Batch Operations (when
	// the bucket has batch_operations) when it does not.
	EngineAuto Engine = "auto"
	// EngineLocal re-encrypts from the runner (HEAD + UpdateObjectEncryption or copy per object).
	EngineLocal Engine = "local"
	// EngineBatch hands the work to an S3 Batch Operations job.
	EngineBatch Engine = "batch-operations"
)

// EngineOrAuto answers the bucket's engine, auto when the policy does not say.
func (b Bucket) EngineOrAuto() Engine {
	if b.Engine == "" {
		return EngineAuto
	}
	return b.Engine
}

// BatchOperations is how sseguard creates a bucket's S3 Batch Operations jobs.
type BatchOperations struct {
	// RoleARN is the IAM role the job runs as (trusting batchoperations.s3.amazonaws.com).
	RoleARN string
	// ReportBucket and ReportPrefix say where the generated manifest and the failed-tasks report go.
	ReportBucket string
	ReportPrefix string
	// ConfirmationRequired leaves a new job Suspended until someone confirms it. Defaults to true.
	ConfirmationRequired bool
	// Priority is the job's priority (higher runs first). Defaults to 10.
	Priority int32
	Pos      Pos
}

// batchFields are the fields of a bucket's batch_operations.
var batchFields = []string{"role_arn", "report_bucket", "report_prefix", "confirmation_required", "priority"}

// maxPriority is CreateJob's largest Priority ("Valid Range: Minimum value of 0. Maximum value of
// 2147483647.", https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html).
const maxPriority = 2147483647

// engine checks a bucket's engine and batch_operations fields, against each other and the rest of
// the bucket.
func (c *checker) engine(fs map[string]field, b *Bucket, label, home string) {
	engineF, hasEngine := fs["engine"]
	if hasEngine {
		if s, good := c.str(engineF, "engine"); good {
			switch e := Engine(s); e {
			case EngineAuto, EngineLocal, EngineBatch:
				b.Engine = e
			default:
				c.errorf(engineF.at, "engine %q must be auto, local or batch-operations", s)
			}
		}
	}
	batchF, hasBatch := fs["batch_operations"]
	if hasBatch {
		b.Batch = c.batchOperations(batchF, label, home)
	}
	switch {
	case b.Engine == EngineBatch && !hasBatch:
		c.errorf(engineF.at, "%s uses engine: batch-operations but has no batch_operations; add batch_operations: {role_arn: ..., report_bucket: ...}", label)
	case b.Engine == EngineLocal && hasBatch:
		c.errorf(batchF.key, "%s uses engine: local, so batch_operations is never used; remove it or use engine: auto", label)
	}
	if hasEngine && b.Engine == EngineBatch && b.ExistingObjects != ObjectsReencrypt {
		c.errorf(engineF.at, "%s uses engine: batch-operations, which re-encrypts objects; it needs existing_objects: reencrypt", label)
	}
}

// batchOperations checks one batch_operations mapping.
func (c *checker) batchOperations(f field, label, home string) *BatchOperations {
	bo := &BatchOperations{ConfirmationRequired: true, Priority: 10, Pos: Pos{Line: f.at.Line, Column: f.at.Column}}
	fs, ok := c.mapping(f.at, "batch_operations", batchFields)
	if !ok {
		return bo
	}
	if rf, ok := fs["role_arn"]; !ok {
		c.errorf(f.at, "%s: batch_operations has no role_arn; name the role the job runs as (sseguard iam-policy --role batch prints it)", label)
	} else if s, good := c.str(rf, "role_arn"); good {
		bo.RoleARN = s
		// The account that creates the job passes the role to S3: iam:PassRole on a role of its own.
		if p := roleARNProblem("role_arn", s, home, "the jobs are created in the policy's account "+home); p != "" {
			c.errorf(rf.at, "%s", p)
		}
	}
	if rf, ok := fs["report_bucket"]; !ok {
		c.errorf(f.at, "%s: batch_operations has no report_bucket; name the bucket for the job's manifest and failure report", label)
	} else if s, good := c.str(rf, "report_bucket"); good {
		bo.ReportBucket = s
		if p := bucketNameProblem(s); p != "" {
			c.errorf(rf.at, "report_bucket: %s", p)
		}
	}
	if pf, ok := fs["report_prefix"]; ok {
		if s, good := c.str(pf, "report_prefix"); good {
			bo.ReportPrefix = s
			// Batch Operations writes the report under the prefix: keep it a plain key prefix.
			if len(s) > 512 || strings.HasPrefix(s, "/") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				c.errorf(pf.at, "report_prefix %q must be a key prefix: at most 512 characters, no leading / and no control characters", s)
			}
		}
	}
	if cf, ok := fs["confirmation_required"]; ok {
		if v, good := c.boolean(cf, "confirmation_required"); good {
			bo.ConfirmationRequired = v
		}
	}
	if pf, ok := fs["priority"]; ok {
		n := pf.val
		v, err := strconv.ParseInt(n.Value, 10, 64)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || v < 0 || v > maxPriority {
			c.errorf(pf.at, "priority must be a whole number from 0 to %d, not %s", maxPriority, describeValue(n.Tag, n.Value))
		} else {
			bo.Priority = int32(v)
		}
	}
	return bo
}

func describeValue(tag, value string) string {
	if tag == "!!int" {
		return value
	}
	return strconv.Quote(value)
}
