// Package initpolicy writes a first policy file for an account as it is (`sseguard init`): it
// reads the buckets in scope, their default encryption, bucket policies and keys (Read), and
// builds a commented policy that, applied, changes nothing (Build): adoption as it is.
//
// Build checks its own work with sseguard's planner: every bucket it writes as an entry is planned
// against the state it read, and a bucket the plan would change or refuse is written commented
// out instead, with the plan's reasons. What is worth a decision (a key without rotation, an AWS
// managed key, an origin access identity on an SSE-KMS bucket, ...) is said in comments.
//
// Everything read from AWS is untrusted: names, descriptions, principals and error messages reach
// the file only as YAML values the encoder quotes, or as comments made one line each by package
// sanitize, so nothing read can add a field or end a comment.
package initpolicy

import "github.com/sseguard/sseguard/internal/state"

// Snapshot is what init read from the account: the buckets in scope and the keys their default
// encryption names. Build works from a Snapshot alone, so it is tested from literal ones.
type Snapshot struct {
	// Account is the caller's account (sts:GetCallerIdentity): the home account.
	Account string
	// Partition is the caller's partition (aws, aws-cn, aws-us-gov).
	Partition string
	// Region is the region of calls not tied to a bucket; it becomes the policy's region.
	Region string
	// Buckets are the buckets in scope, in any order.
	Buckets []Bucket
}

// Bucket is one bucket as read.
type Bucket struct {
	Name string
	// Region is the bucket's region ("" when it could not be read).
	Region string
	// Err says why the bucket could not be read completely; such a bucket is written commented
	// out, with the error.
	Err string
	// Encryption is the default encryption rule; nil when the bucket has none configured, which
	// S3 reports as SSE-S3 since 2023 (and emulators as ServerSideEncryptionConfigurationNotFoundError).
	Encryption *state.Rule
	// Policy is the bucket policy document; "" when the bucket has none.
	Policy string
	// Key is the key the rule names (Encryption.KeyRef, described in the bucket's region); nil
	// when the rule names none.
	Key *Key
}

// Key is a KMS key as DescribeKey answered, with its policy and rotation status (customer managed
// keys of the home account) and its aliases (keys of the home account).
type Key struct {
	state.Key
	// Aliases are the key's alias names (alias/NAME), as ListAliases answered for its key id.
	Aliases []string
	// AliasesErr says why the aliases could not be listed; the key is then named by its ARN.
	AliasesErr string
}
