// Package jsonplan is the JSON plan: the document `sseguard plan|apply --json FILE` and the
// action's json-file write, a public contract that scripts and workflows read. Its types are
// declared here, apart from package plan's, and filled by converting the plan (as terraform's
// command/jsonplan does), so the internal types can change without changing the document. The
// document is described field by field in docs/plan-format.md and by the JSON Schema
// docs/plan.schema.json; the tests validate every golden against that schema and check that these
// types and the schema name the same fields. Like package plan it does no I/O but writing to the
// writer it is given, and imports no AWS SDK.
package jsonplan

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/state"
)

// FormatVersion is the version of the JSON plan's shape. Fields may be added without changing
// it; renaming or removing a field, or changing its meaning, bumps it.
const FormatVersion = "1"

// The modes a JSON plan is written in (Document.Mode): the run's, plan.Mode.
const (
	ModePlan  = plan.ModePlan
	ModeApply = plan.ModeApply
)

// Options says what the document says besides the plan.
type Options struct {
	// Mode is ModePlan or ModeApply.
	Mode plan.Mode
	// Version is the sseguard that writes the document (version.Info.Short, e.g. v1.2.3):
	// required, so that a document always says which release's schema it follows.
	Version string
}

// Document is the JSON document `--json FILE` writes.
type Document struct {
	FormatVersion string `json:"format_version"`
	// Mode is ModePlan or ModeApply. It stays the document's second member: the action knows a
	// file an earlier run wrote by how it begins.
	Mode string `json:"mode"`
	// SseguardVersion is the sseguard that wrote the document (Options.Version).
	SseguardVersion string  `json:"sseguard_version"`
	Summary         Summary `json:"summary"`
	Plan            Plan    `json:"plan"`
	// Results are the outcomes of apply, one per change attempted (apply only).
	Results []Result `json:"results,omitempty"`
	// Objects is every object found not as required. Write streams it from a reader
	// and never fills this field; it is here for programs that decode the document.
	Objects []ObjectFinding `json:"objects,omitempty"`
}

// Summary is the counts at a glance.
type Summary struct {
	InSync   bool `json:"in_sync"`
	Buckets  int  `json:"buckets"`
	Changes  int  `json:"changes"`
	Blockers int  `json:"blockers"`
	Warnings int  `json:"warnings"`
	// Applied counts results done; Failed counts results failed or unverified.
	Applied int `json:"applied"`
	Failed  int `json:"failed"`
}

// Plan is the plan itself: every bucket's verdict, the changes, and what stands in
// their way.
type Plan struct {
	// Policy is the policy file the plan was computed from.
	Policy   string    `json:"policy"`
	Account  string    `json:"account"`
	Buckets  []Bucket  `json:"buckets"`
	Changes  []Change  `json:"changes"`
	Blockers []Blocker `json:"blockers"`
	Warnings []Warning `json:"warnings"`
	// Unmanaged is the account's buckets the policy does not name; present only when the policy
	// asks for them (unmanaged_buckets: report).
	Unmanaged *Unmanaged `json:"unmanaged_buckets,omitempty"`
	// Accounts are the accounts of a policy that lists several (home first when it holds a
	// bucket), in the order the reports show them; absent for a policy of one account. Each
	// bucket, change, blocker and warning then says its account.
	Accounts []string `json:"accounts,omitempty"`
}

// Bucket is one bucket of the policy and its verdict.
type Bucket struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	Line   int    `json:"line"`
	// Status is in-sync, drift or blocked.
	Status string `json:"status"`
	// Required and Observed describe the default encryption for people.
	Required string `json:"required"`
	Observed string `json:"observed"`
	// Changes are the IDs of the bucket's changes, the keys it needs included.
	Changes []string `json:"changes,omitempty"`
	// Objects is the existing-objects scan, when the policy asked for one.
	Objects *ObjectCounts `json:"objects,omitempty"`
	// Readers are who reads the bucket's objects and whether they can decrypt with its key
	// after the plan (sse-kms).
	Readers []Reader `json:"readers,omitempty"`
	// Replication is the bucket's replication configuration as judged for its key (sse-kms).
	Replication *Replication `json:"replication,omitempty"`
	// Account is the bucket's account, when the policy lists several.
	Account string `json:"account,omitempty"`
}

// ObjectCounts summarises a bucket's existing objects.
type ObjectCounts struct {
	Scanned   int `json:"scanned"`
	Compliant int `json:"compliant"`
	// ToFix counts the objects to re-encrypt by what they are now (an object kind);
	// ToFixByClass by kind, then by storage class.
	ToFix        map[string]int            `json:"to_fix"`
	ToFixByClass map[string]map[string]int `json:"to_fix_by_storage_class,omitempty"`
	// Skipped counts the objects that cannot be re-encrypted in place, by reason.
	Skipped    map[string]int `json:"skipped"`
	Noncurrent int            `json:"noncurrent_versions"`
	// Fixed, Failed and Remaining are apply's counts: re-encrypted, failed, left for a later run.
	Fixed     int            `json:"fixed"`
	Failed    int            `json:"failed"`
	Remaining int            `json:"remaining"`
	Sample    []ObjectSample `json:"sample,omitempty"`
	// Source says where the counts came from: an S3 Inventory or a HEAD per object.
	Source *ObjectSource `json:"source,omitempty"`
}

// ObjectSource says where a bucket's object counts came from.
type ObjectSource struct {
	// Kind is "inventory" or "head".
	Kind string `json:"kind"`
	// InventoryID and Manifest name the inventory read; Created is when it began (RFC 3339),
	// AgeSeconds how old it was at the plan.
	InventoryID string `json:"inventory_id,omitempty"`
	Manifest    string `json:"manifest,omitempty"`
	Created     string `json:"created,omitempty"`
	AgeSeconds  int64  `json:"age_seconds,omitempty"`
	// FromInventory counts objects the inventory decided; WithHead those read with HEAD.
	FromInventory int `json:"from_inventory,omitempty"`
	WithHead      int `json:"with_head,omitempty"`
	// Reason says why no inventory was used.
	Reason string `json:"reason,omitempty"`
}

// ObjectSample is one object of a bucket's sample.
type ObjectSample struct {
	Key      string `json:"key"`
	Kind     string `json:"kind"`
	Observed string `json:"observed,omitempty"`
}

// Change is one thing apply does.
type Change struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Bucket string `json:"bucket,omitempty"`
	Alias  string `json:"alias,omitempty"`
	Region string `json:"region"`
	Line   int    `json:"line"`
	// Before and After describe the change for people.
	Before string `json:"before"`
	After  string `json:"after"`
	// BeforeValue and AfterValue are the same in structure; their shape depends on Kind (see
	// docs/plan-format.md). Absent when the plan does not know the value; JSON null when the
	// thing does not exist (no key yet, no bucket policy, a bucket policy deleted).
	BeforeValue json.RawMessage `json:"before_value,omitempty"`
	AfterValue  json.RawMessage `json:"after_value,omitempty"`
	Details     []string        `json:"details,omitempty"`
	DependsOn   []string        `json:"depends_on,omitempty"`
	// Rule is the encryption rule written (or, for update-bucket-policy and reencrypt-objects,
	// the rule the bucket ends up with).
	Rule   *Rule   `json:"rule,omitempty"`
	Grants []Grant `json:"grants,omitempty"`
	// Key is the key to create (create-key).
	Key *Key `json:"key,omitempty"`
	// Document is the policy document written (update-key-policy, update-bucket-policy).
	Document       string   `json:"document,omitempty"`
	DeleteDocument bool     `json:"delete_document,omitempty"`
	KeyARN         string   `json:"key_arn,omitempty"`
	Prefixes       []string `json:"prefixes,omitempty"`
	// Engine (reencrypt-objects) is local or batch-operations; EngineReason says why.
	Engine       string       `json:"engine,omitempty"`
	EngineReason string       `json:"engine_reason,omitempty"`
	Batch        *BatchConfig `json:"batch_operations,omitempty"`
	BatchJobs    []BatchJob   `json:"batch_jobs,omitempty"`
	// Cost estimates what a reencrypt-objects change will cost.
	Cost *Cost `json:"cost,omitempty"`
	// Account is the account the change is made in, when the policy lists several.
	Account string `json:"account,omitempty"`
}

// Rule is a bucket's default encryption rule.
type Rule struct {
	Algorithm string `json:"algorithm"`
	// KeyARN is the key's ARN; absent when the key is created by this plan (then Alias names it).
	KeyARN                 string   `json:"kms_key_arn,omitempty"`
	Alias                  string   `json:"alias,omitempty"`
	BucketKey              bool     `json:"bucket_key"`
	BlockedEncryptionTypes []string `json:"blocked_encryption_types,omitempty"`
}

// Grant is one statement of a key policy sseguard writes.
type Grant struct {
	Sid        string   `json:"sid,omitempty"`
	Effect     string   `json:"effect"`
	Principals []string `json:"principals"`
	Actions    []string `json:"actions"`
	Conditions []string `json:"conditions,omitempty"`
}

// Key is a customer managed key to create.
type Key struct {
	Alias       string            `json:"alias"`
	Description string            `json:"description"`
	Tags        map[string]string `json:"tags,omitempty"`
	Policy      string            `json:"policy,omitempty"`
}

// Blocker is a reason sseguard refuses to change a bucket, or one change of it.
type Blocker struct {
	Code string `json:"code"`
	// Change is the one change the blocker stops; absent, the whole bucket is stopped.
	Change  string `json:"change,omitempty"`
	Bucket  string `json:"bucket,omitempty"`
	Alias   string `json:"alias,omitempty"`
	Region  string `json:"region,omitempty"`
	Line    int    `json:"line"`
	Message string `json:"message"`
	// Account is the bucket's account, when the policy lists several.
	Account string `json:"account,omitempty"`
}

// Warning is worth knowing but stops nothing.
type Warning struct {
	Code    string `json:"code"`
	Bucket  string `json:"bucket,omitempty"`
	Alias   string `json:"alias,omitempty"`
	Line    int    `json:"line"`
	Message string `json:"message"`
	// Account is the bucket's or key's account, when the policy lists several.
	Account string `json:"account,omitempty"`
}

// Result is the outcome of one change.
type Result struct {
	Change  string `json:"change"`
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	Detail  string `json:"detail,omitempty"`
	// BatchJobs are the Batch Operations jobs a reencrypt-objects change created or found.
	BatchJobs []BatchJob `json:"batch_jobs,omitempty"`
}

// ObjectFinding is one object found not as required (one element of "objects").
type ObjectFinding struct {
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	VersionID string `json:"version_id,omitempty"`
	Kind      string `json:"kind"`
	Reason    string `json:"reason,omitempty"`
	Observed  string `json:"observed,omitempty"`
	Size      int64  `json:"size"`
	ETag      string `json:"etag,omitempty"`
	Action    string `json:"action"`
	Error     string `json:"error,omitempty"`
}

// PolicyValue is the before or after value of update-key-policy and update-bucket-policy:
// the whole policy document, as text.
type PolicyValue struct {
	Policy string `json:"policy"`
}

// RotationValue is the before or after value of enable-key-rotation.
type RotationValue struct {
	Rotation bool `json:"rotation"`
}

// ObjectsValue is the before or after value of reencrypt-objects: the bucket's objects
// under the change's prefixes, by state.
type ObjectsValue struct {
	Scanned   int            `json:"scanned"`
	Compliant int            `json:"compliant"`
	ToFix     map[string]int `json:"to_fix"`
	Skipped   map[string]int `json:"skipped"`
}

// New converts a plan (and apply's results, if any) into the JSON document, without
// the streamed objects.
func New(p *plan.Plan, results []plan.Result, opts Options) (*Document, error) {
	if opts.Mode != ModePlan && opts.Mode != ModeApply {
		return nil, fmt.Errorf("JSON plan mode %q is neither %q nor %q", opts.Mode, ModePlan, ModeApply)
	}
	if opts.Version == "" {
		return nil, errors.New("the JSON plan must say which sseguard wrote it: no version given")
	}
	changes, err := Changes(p)
	if err != nil {
		return nil, err
	}
	doc := &Document{FormatVersion: FormatVersion, Mode: string(opts.Mode), SseguardVersion: opts.Version,
		Summary: Summary{InSync: p.InSyncWith(results), Buckets: len(p.Buckets), Changes: len(p.Changes),
			Blockers: len(p.Blockers), Warnings: len(p.Warnings)},
		Plan: Plan{Policy: p.PolicyPath, Account: p.Account, Accounts: p.Accounts,
			Buckets:  make([]Bucket, 0, len(p.Buckets)),
			Changes:  changes,
			Blockers: make([]Blocker, 0, len(p.Blockers)),
			Warnings: make([]Warning, 0, len(p.Warnings))}}
	for _, b := range p.Buckets {
		doc.Plan.Buckets = append(doc.Plan.Buckets, jsonBucket(b))
	}
	for _, b := range p.Blockers {
		doc.Plan.Blockers = append(doc.Plan.Blockers, Blocker{Code: b.Code, Change: b.Change, Bucket: b.Bucket,
			Alias: b.Alias, Region: b.Region, Line: b.Line, Message: b.Message, Account: b.Account})
	}
	for _, w := range p.Warnings {
		doc.Plan.Warnings = append(doc.Plan.Warnings, Warning{Code: w.Code, Bucket: w.Bucket, Alias: w.Alias,
			Line: w.Line, Message: w.Message, Account: w.Account})
	}
	for _, r := range results {
		doc.Results = append(doc.Results, Result{Change: r.ChangeID, Outcome: string(r.Outcome), Error: r.Error, Detail: r.Detail, BatchJobs: jsonBatchJobs(r.BatchJobs)})
	}
	doc.Plan.Unmanaged = jsonUnmanaged(p.Unmanaged)
	t := plan.TallyOf(results)
	doc.Summary.Applied, doc.Summary.Failed = t.Done, t.Failed+t.Unverified
	return doc, nil
}

// Changes converts a plan's changes as the document states them (plan.changes): what the
// approved-plan fingerprint is computed from, whichever sseguard wrote the document.
func Changes(p *plan.Plan) ([]Change, error) {
	// Bucket names are unique across accounts (S3's namespace is global).
	objects := map[string]*plan.ObjectCounts{}
	for _, b := range p.Buckets {
		objects[b.Name] = b.Objects
	}
	out := make([]Change, 0, len(p.Changes))
	for _, c := range p.Changes {
		jc, err := jsonChange(c, objects[c.Bucket])
		if err != nil {
			return nil, fmt.Errorf("convert change %s for the JSON plan: %w", c.ID, err)
		}
		out = append(out, jc)
	}
	return out, nil
}

func jsonBucket(b plan.BucketStatus) Bucket {
	out := Bucket{Name: b.Name, Region: b.Region, Line: b.Line, Status: string(b.Status),
		Required: b.Required, Observed: b.Observed, Changes: b.Changes, Account: b.Account,
		Readers: jsonReaders(b.Readers), Replication: jsonReplication(b.Replication)}
	if o := b.Objects; o != nil {
		out.Objects = &ObjectCounts{Scanned: o.Scanned, Compliant: o.Compliant, ToFix: counts(o.ToFix), ToFixByClass: classCounts(o.ToFixByClass),
			Skipped: counts(o.Skipped), Noncurrent: o.Noncurrent, Fixed: o.Fixed, Failed: o.Failed, Remaining: o.Remaining}
		for _, s := range o.Sample {
			out.Objects.Sample = append(out.Objects.Sample, ObjectSample{Key: s.Key, Kind: s.Kind, Observed: s.Observed})
		}
		if s := o.Source; s != nil {
			out.Objects.Source = &ObjectSource{Kind: s.Kind, InventoryID: s.InventoryID, Manifest: s.Manifest,
				Created: s.Created, AgeSeconds: s.AgeSeconds, FromInventory: s.FromInventory, WithHead: s.WithHead, Reason: s.Reason}
		}
	}
	return out
}

// classCounts copies counts by kind and storage class; nil when there are none.
func classCounts(m map[string]map[string]int) map[string]map[string]int {
	var out map[string]map[string]int
	for k, v := range m {
		if len(v) == 0 {
			continue
		}
		if out == nil {
			out = map[string]map[string]int{}
		}
		out[k] = counts(v)
	}
	return out
}

// counts copies a count map; never nil, so the document has {} rather than null.
func counts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// jsonChange converts a change; objects are its bucket's object counts (nil when not counted).
func jsonChange(c plan.Change, objects *plan.ObjectCounts) (Change, error) {
	out := Change{ID: c.ID, Kind: string(c.Kind), Bucket: c.Bucket, Alias: c.Alias, Region: c.Region, Line: c.Line,
		Before: c.Before, After: c.After, Details: c.Details, DependsOn: c.DependsOn, Rule: jsonRule(c.Rule),
		Document: c.Document, DeleteDocument: c.DeleteDocument, KeyARN: c.KeyARN, Prefixes: c.Prefixes,
		Engine: c.Engine, EngineReason: c.EngineReason, Batch: jsonBatchConfig(c.Batch), BatchJobs: jsonBatchJobs(c.BatchJobs),
		Cost: jsonCost(c.Cost), Account: c.Account}
	for _, g := range c.Grants {
		out.Grants = append(out.Grants, Grant{Sid: g.Sid, Effect: g.Effect, Principals: nonNil(g.Principals),
			Actions: nonNil(g.Actions), Conditions: g.Conditions})
	}
	if c.Key != nil {
		out.Key = &Key{Alias: c.Key.Alias, Description: c.Key.Description, Tags: c.Key.Tags, Policy: c.Key.Policy}
	}
	before, after := values(c, out, objects)
	var err error
	if out.BeforeValue, err = marshalValue(before); err != nil {
		return Change{}, err
	}
	if out.AfterValue, err = marshalValue(after); err != nil {
		return Change{}, err
	}
	return out, nil
}

func jsonRule(r *plan.Rule) *Rule {
	if r == nil {
		return nil
	}
	return &Rule{Algorithm: r.Algorithm, KeyARN: r.KeyARN, Alias: r.Alias, BucketKey: r.BucketKey,
		BlockedEncryptionTypes: r.BlockedEncryptionTypes}
}

// observedRule renders a rule as read: the key as resolved, else as the rule names it.
func observedRule(r *state.Rule) *Rule {
	out := &Rule{Algorithm: r.Algorithm, KeyARN: r.KeyARN, BucketKey: r.BucketKey, BlockedEncryptionTypes: r.BlockedEncryptionTypes}
	if out.KeyARN == "" && r.KeyRef != "" {
		if strings.HasPrefix(r.KeyRef, "alias/") {
			out.Alias = r.KeyRef
		} else {
			out.KeyARN = r.KeyRef
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// unknown marks a value the plan does not know: the field is left out of the document.
type unknown struct{}

// values returns a change's structured before and after values: unknown{} when the plan does
// not know one, nil when the thing does not exist.
func values(c plan.Change, out Change, objects *plan.ObjectCounts) (before, after any) {
	switch c.Kind {
	case plan.CreateKey:
		if out.Key == nil {
			return nil, unknown{}
		}
		return nil, out.Key
	case plan.UpdateKeyPolicy:
		// A key always has a policy: an empty observed document means the plan did not keep it.
		before, after = unknown{}, unknown{}
		if c.ObservedDocument != "" {
			before = PolicyValue{Policy: c.ObservedDocument}
		}
		if c.Document != "" {
			after = PolicyValue{Policy: c.Document}
		}
		return before, after
	case plan.UpdateBucketPolicy:
		// No observed document is no bucket policy; a deleted one is none after.
		if c.ObservedDocument != "" {
			before = PolicyValue{Policy: c.ObservedDocument}
		}
		switch {
		case c.DeleteDocument:
		case c.Document != "":
			after = PolicyValue{Policy: c.Document}
		default:
			after = unknown{}
		}
		return before, after
	case plan.EnableKeyRotation:
		// A key is created with rotation off, so a new key's rotation is off before this change too.
		return RotationValue{Rotation: false}, RotationValue{Rotation: true}
	case plan.SetDefaultEncryption:
		if out.Rule == nil {
			return unknown{}, unknown{}
		}
		if c.ObservedRule == nil {
			// No rule was configured (an emulator says so; AWS reports SSE-S3 since 2023).
			return nil, out.Rule
		}
		return observedRule(c.ObservedRule), out.Rule
	case plan.EnableBucketKey:
		// An enable-bucket-key change replaces a rule that differs from the new one in its
		// bucket key alone (see plan.EnableBucketKey): anything else is a set-default-encryption.
		if out.Rule == nil {
			return unknown{}, unknown{}
		}
		was := *out.Rule
		was.BucketKey = false
		return &was, out.Rule
	case plan.ReencryptObjects:
		o := objects
		if o == nil {
			// Apply scans and re-encrypts in one pass: the counts are not known when planning.
			return unknown{}, unknown{}
		}
		b := ObjectsValue{Scanned: o.Scanned, Compliant: o.Compliant, ToFix: counts(o.ToFix), Skipped: counts(o.Skipped)}
		a := ObjectsValue{Scanned: o.Scanned, Compliant: o.Compliant + o.TotalToFix(), ToFix: map[string]int{}, Skipped: counts(o.Skipped)}
		return b, a
	}
	return unknown{}, unknown{}
}

// marshalValue renders a structured value: nothing for unknown{}, null for nil.
func marshalValue(v any) (json.RawMessage, error) {
	if _, ok := v.(unknown); ok {
		return nil, nil
	}
	return json.Marshal(v)
}
