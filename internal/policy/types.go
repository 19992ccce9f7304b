// Package policy reads and validates sseguard's policy file: which buckets must be encrypted how,
// with which customer managed key, usable by which transcoder principal.
//
// Parsing goes through yaml.Node so that every problem, and every bucket, carries the line and
// column it came from. Validation is strict and offline: no AWS call is made before a policy is
// known to be well-formed.
package policy

// Encryption is a bucket's required server-side encryption mode.
type Encryption string

// The encryption modes a policy may require.
const (
	SSES3  Encryption = "sse-s3"
	SSEKMS Encryption = "sse-kms"
)

// ExistingObjects says what to do about objects uploaded before the bucket's default encryption
// was right.
type ExistingObjects string

// The values of existing_objects.
const (
	ObjectsIgnore    ExistingObjects = "ignore"
	ObjectsReport    ExistingObjects = "report"
	ObjectsReencrypt ExistingObjects = "reencrypt"
)

// Pos is a place in the policy file, 1-based.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Policy is a parsed, validated policy file.
type Policy struct {
	// Path is the file the policy was read from, as given (used in messages and annotations).
	Path    string
	Version int
	// Account, when set, is the only AWS account sseguard may touch.
	Account string
	// TrustedAccounts are other accounts whose principals the policy may grant access to keys
	// (administrators, transcoders). A principal of any account that is neither the home account
	// (Account, or the caller's when Account is empty) nor one of these is refused.
	TrustedAccounts []string
	// Region is used for API calls that are not tied to a bucket or key region.
	Region  string
	Keys    []Key
	Buckets []Bucket
	// Unmanaged says whether to report the account's buckets the policy does not name.
	Unmanaged Unmanaged
	// Accounts are the other accounts the policy manages, each through a role to assume. Empty
	// for a single-account policy.
	Accounts []Account
}

// Key is the optional detail for a customer managed key, looked up by alias.
type Key struct {
	Alias string
	// Account is the id of the accounts entry the key is in; empty for the home account.
	Account string
	// Region pins the key to one region; empty means "each using bucket's region".
	Region      string
	Description string
	Tags        map[string]string
	// Rotation asks for automatic yearly key rotation. Defaults to true.
	Rotation         bool
	Administrators   []string
	AllowAdminDelete bool
	Pos              Pos
}

// Bucket is one bucket's required encryption.
type Bucket struct {
	Name string
	// Account is the id of the accounts entry the bucket is in; empty for the home account.
	Account string
	// Region is asserted when set; empty means the bucket's own region.
	Region     string
	Encryption Encryption
	// KMSKey is an alias name (alias/x), a key ARN or an alias ARN. Empty for sse-s3.
	KMSKey              string
	TranscoderPrincipal string
	// BucketKey turns on S3 Bucket Keys (sse-kms only). Defaults to true for sse-kms.
	BucketKey       bool
	EnforceOnUpload bool
	RequireTLS      bool
	// ExistingObjects defaults to ignore: scanning objects costs a request per object.
	ExistingObjects ExistingObjects
	Prefixes        []string
	// CloudFrontDistributions are the ARNs of the CloudFront distributions that serve the bucket
	// through origin access control (sse-kms only): the key policy lets CloudFront use the key
	// for requests from these distributions.
	CloudFrontDistributions []string
	// Readers are principals (role, user or account root ARNs of the home or a trusted account)
	// that read the bucket's objects: the key policy lets each decrypt through S3 (sse-kms only).
	Readers []string
	// AcceptLostReaders are readers, as the bucket policy names them, whose loss of access when
	// the bucket moves to its key is intended (sse-kms only).
	AcceptLostReaders []string
	// Engine says what re-encrypts existing objects; empty when the policy does not say (auto:
	// read it with EngineOrAuto).
	Engine Engine
	// Batch is how to create Batch Operations jobs; nil when the bucket has no batch_operations.
	Batch *BatchOperations
	Pos   Pos
}

// KeyByAlias returns the policy's key entry for alias in the home account, if it has one (a
// policy's part for one account, ForAccount, holds that account's keys alone).
func (p *Policy) KeyByAlias(alias string) (Key, bool) {
	for _, k := range p.Keys {
		if k.Alias == alias && k.Account == "" {
			return k, true
		}
	}
	return Key{}, false
}
