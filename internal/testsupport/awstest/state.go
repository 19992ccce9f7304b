package awstest

import (
	"net/http"
	"time"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// state is everything the layer holds besides moto's own state.
type state struct {
	// policies are the bucket policies the layer holds instead of moto, by bucket.
	policies map[string]heldPolicy
	// blocked are the BlockedEncryptionTypes of buckets, by bucket; a bucket the layer did not
	// create and that never had them written is absent.
	blocked map[string][]string
	// createdHere are the buckets created through the layer (whose defaults the layer knows).
	createdHere map[string]bool
	// delayed are the answers reads of a bucket configuration get during a consistency delay,
	// by "bucket?subresource".
	delayed map[string]*delayedRead
	// keyKinds are the KMS keys marked by MarkKey, by key id.
	keyKinds map[string]KeyKind
	// identity are the identity policies given with SetIdentityPolicy, by access key id.
	identity map[string]*iampolicy.Document
	// rolePolicies are the identity policies given with SetRolePolicy, by role ARN: they apply
	// to every session of the role.
	rolePolicies map[string]*iampolicy.Document
	// uoe remembers what UpdateObjectEncryption kept of an object, by "bucket/key".
	uoe map[string]uoeRecord
	// owners are the accounts that created buckets through the layer, by bucket.
	owners map[string]string
	// replication are the replication configurations written through the layer, by bucket.
	replication map[string]replicationConfig
}

func newState() *state {
	return &state{
		policies:     map[string]heldPolicy{},
		blocked:      map[string][]string{},
		createdHere:  map[string]bool{},
		delayed:      map[string]*delayedRead{},
		keyKinds:     map[string]KeyKind{},
		identity:     map[string]*iampolicy.Document{},
		rolePolicies: map[string]*iampolicy.Document{},
		uoe:          map[string]uoeRecord{},
		owners:       map[string]string{},
		replication:  map[string]replicationConfig{},
	}
}

// heldPolicy is a bucket policy as written (text) and parsed.
type heldPolicy struct {
	text string
	doc  *iampolicy.Document
}

// delayedRead is a recorded answer to a configuration read, served until a time.
type delayedRead struct {
	status int
	header http.Header
	body   []byte
	until  time.Time
}

// uoeRecord is what an object looked like before UpdateObjectEncryption re-encrypted it through
// a copy in moto: the copy's ETag (to recognise the object is still that copy) and the ETag and
// Last-Modified AWS would have kept.
type uoeRecord struct {
	copyETag     string
	etag         string
	lastModified string
}
