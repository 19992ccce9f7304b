// Package approval says whether the plan about to be applied is the plan reviewers approved: the
// one a pull request's sseguard comment showed (its digest is in the comment's hidden lines), or
// a JSON plan kept from an earlier run (sseguard apply --approved-plan FILE).
//
// A plan's fingerprint is computed from its changes as the JSON plan states them (the public
// contract, so a kept JSON plan and a fresh plan are fingerprinted the same way), keeping what a
// change writes and leaving out what is noise between two runs of the same plan:
//
//   - kept, per change: its id, kind, account, bucket, alias, region, the encryption rule it
//     writes, the key it creates (alias, description, tags, whole key policy), the policy
//     document it writes (key or bucket policy, compared as JSON values, not as text), whether
//     it deletes a bucket policy, and the key it changes;
//   - left out: the prose (before, after, details), policy line numbers, the order of changes
//     and of JSON object keys, dependencies (derived), the grants view (derived from the
//     document), what was observed before (apply reads it again before writing and refuses a
//     change made in between), and re-encryption of existing objects: whether the plan holds one
//     and its counts depend on objects uploaded since (and apply defers the scan), while its
//     target is the bucket's rule, which is kept; and the sseguard version that wrote the plan
//     (the JSON plan's sseguard_version): a plan approved on a pull request under one release is
//     the same plan for the apply that runs under the next.
//
// The fingerprint is a SHA-256 digest over every kept change, plus a short digest of each change
// by a short digest of its id, so that a refusal can say which changes are new, changed or gone
// without the comment holding account ids or bucket names beyond what it shows.
package approval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sseguard/sseguard/internal/jsonplan"
	"github.com/sseguard/sseguard/internal/plan"
)

// Version names this definition of the fingerprint; a fingerprint of another version is never
// equal to one of this.
const Version = "v1"

// shortLen is the length in hex characters of the short digests of ids and changes.
const shortLen = 12

// Fingerprint is what a plan's changes come to.
type Fingerprint struct {
	Version string
	// Digest is the SHA-256 of every kept change (hex).
	Digest string
	// Changes maps the short digest of each kept change's id to the short digest of the change.
	// Empty when not known (a comment of a plan too long to list them).
	Changes map[string]string
	// Names maps short id digests to change ids, where the ids are known (a fresh plan, a JSON
	// plan file): not from a comment.
	Names map[string]string
}

// kept is the part of a change the fingerprint covers.
type kept struct {
	ID             string          `json:"id"`
	Kind           string          `json:"kind"`
	Account        string          `json:"account,omitempty"`
	Bucket         string          `json:"bucket,omitempty"`
	Alias          string          `json:"alias,omitempty"`
	Region         string          `json:"region,omitempty"`
	Rule           *jsonplan.Rule  `json:"rule,omitempty"`
	Key            *keptKey        `json:"key,omitempty"`
	Document       json.RawMessage `json:"document,omitempty"`
	DeleteDocument bool            `json:"delete_document,omitempty"`
	KeyARN         string          `json:"key_arn,omitempty"`
}

type keptKey struct {
	Alias       string            `json:"alias"`
	Description string            `json:"description"`
	Tags        map[string]string `json:"tags,omitempty"`
	Policy      json.RawMessage   `json:"policy,omitempty"`
}

// canonicalJSON renders a JSON text as a value with object keys sorted and no insignificant
// space; a text that is not JSON is kept as a JSON string.
func canonicalJSON(text string) (json.RawMessage, error) {
	if text == "" {
		return nil, nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return json.Marshal(text)
	}
	return json.Marshal(v)
}

// Of returns the fingerprint of changes as the JSON plan states them.
func Of(changes []jsonplan.Change) (Fingerprint, error) {
	fp := Fingerprint{Version: Version, Changes: map[string]string{}, Names: map[string]string{}}
	var entries []string
	for _, c := range changes {
		if c.Kind == string(plan.ReencryptObjects) {
			continue
		}
		k := kept{ID: c.ID, Kind: c.Kind, Account: c.Account, Bucket: c.Bucket, Alias: c.Alias, Region: c.Region,
			Rule: c.Rule, DeleteDocument: c.DeleteDocument, KeyARN: c.KeyARN}
		var err error
		if k.Document, err = canonicalJSON(c.Document); err != nil {
			return Fingerprint{}, fmt.Errorf("change %s: %w", c.ID, err)
		}
		if c.Key != nil {
			k.Key = &keptKey{Alias: c.Key.Alias, Description: c.Key.Description, Tags: c.Key.Tags}
			if k.Key.Policy, err = canonicalJSON(c.Key.Policy); err != nil {
				return Fingerprint{}, fmt.Errorf("change %s: %w", c.ID, err)
			}
		}
		b, err := json.Marshal(k)
		if err != nil {
			return Fingerprint{}, fmt.Errorf("change %s: %w", c.ID, err)
		}
		id := short(c.ID)
		if _, dup := fp.Changes[id]; dup {
			return Fingerprint{}, fmt.Errorf("change %s is listed twice", c.ID)
		}
		fp.Changes[id] = short(string(b))
		fp.Names[id] = c.ID
		entries = append(entries, string(b))
	}
	sort.Strings(entries)
	h := sha256.New()
	io.WriteString(h, "sseguard plan "+Version+"\n")
	for _, e := range entries {
		io.WriteString(h, e+"\n")
	}
	fp.Digest = hex.EncodeToString(h.Sum(nil))
	return fp, nil
}

// OfPlan returns the fingerprint of a plan (the exact plan, not a copy redacted for people).
func OfPlan(p *plan.Plan) (Fingerprint, error) {
	changes, err := jsonplan.Changes(p)
	if err != nil {
		return Fingerprint{}, err
	}
	return Of(changes)
}

// maxPlanFile bounds a JSON plan file read for its changes (a plan's changes are small; its
// object findings, which may be long, come after them and are not needed).
const maxPlanFile = 64 << 20

// FromJSONPlan returns the fingerprint of a JSON plan file (sseguard plan --json FILE).
func FromJSONPlan(r io.Reader) (Fingerprint, error) {
	var doc jsonplan.Document
	dec := json.NewDecoder(io.LimitReader(r, maxPlanFile))
	if err := dec.Decode(&doc); err != nil {
		return Fingerprint{}, fmt.Errorf("not a JSON plan: %w", err)
	}
	if doc.FormatVersion != jsonplan.FormatVersion {
		return Fingerprint{}, fmt.Errorf("a JSON plan of format_version %q; this sseguard reads %q", doc.FormatVersion, jsonplan.FormatVersion)
	}
	if doc.Plan.Changes == nil {
		return Fingerprint{}, errors.New("not a JSON plan: it has no plan.changes")
	}
	return Of(doc.Plan.Changes)
}

func short(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:shortLen]
}

// Difference is what differs between an approved plan and a fresh one.
type Difference struct {
	// Same is true when the digests are equal.
	Same bool
	// OtherVersion is set when the approved fingerprint is of another definition.
	OtherVersion string
	// Added and Changed are the fresh plan's changes that are new, or write something else;
	// Removed are the approved plan's changes no longer planned (by id when known);
	// RemovedUnnamed counts those whose ids are not known.
	Added, Changed, Removed []string
	RemovedUnnamed          int
	// Unlisted is true when the approved fingerprint does not list its changes.
	Unlisted bool
}

// Compare says how fresh differs from approved.
func Compare(approved, fresh Fingerprint) Difference {
	if approved.Version != fresh.Version {
		return Difference{OtherVersion: approved.Version}
	}
	if approved.Digest == fresh.Digest {
		return Difference{Same: true}
	}
	var d Difference
	if len(approved.Changes) == 0 && approved.Digest != emptyDigest() {
		d.Unlisted = true
		return d
	}
	for id, h := range fresh.Changes {
		switch old, ok := approved.Changes[id]; {
		case !ok:
			d.Added = append(d.Added, fresh.Names[id])
		case old != h:
			d.Changed = append(d.Changed, fresh.Names[id])
		}
	}
	for id := range approved.Changes {
		if _, ok := fresh.Changes[id]; ok {
			continue
		}
		if name, ok := approved.Names[id]; ok {
			d.Removed = append(d.Removed, name)
		} else {
			d.RemovedUnnamed++
		}
	}
	sort.Strings(d.Added)
	sort.Strings(d.Changed)
	sort.Strings(d.Removed)
	return d
}

// emptyDigest is the digest of a plan with no change.
func emptyDigest() string {
	fp, _ := Of(nil)
	return fp.Digest
}

// Lines says in words what differs, one line each.
func (d Difference) Lines() []string {
	if d.Same {
		return nil
	}
	if d.OtherVersion != "" {
		return []string{fmt.Sprintf("the approved plan's digest is of another kind (%q, this sseguard writes %q): plan the pull request again with this version", d.OtherVersion, Version)}
	}
	if d.Unlisted {
		return []string{"the plan's changes differ from the approved plan's (it was too long for its changes to be listed one by one)"}
	}
	var out []string
	for _, id := range d.Added {
		out = append(out, "new since the approved plan: "+id)
	}
	for _, id := range d.Changed {
		out = append(out, "changed since the approved plan (it writes something else): "+id)
	}
	for _, id := range d.Removed {
		out = append(out, "in the approved plan, not planned now: "+id)
	}
	switch n := d.RemovedUnnamed; {
	case n == 1:
		out = append(out, "1 change of the approved plan is not planned now")
	case n > 1:
		out = append(out, fmt.Sprintf("%d changes of the approved plan are not planned now", n))
	}
	if len(out) == 0 {
		out = append(out, "the plan's changes differ from the approved plan's")
	}
	return out
}

// Refusal is the error of an apply refused because the plan is not the approved one (or no
// approved plan could be read). The run changes nothing.
type Refusal struct {
	// Reason says why, in one line; Details list what changed, one line each.
	Reason  string
	Details []string
}

// Error says why apply was refused.
func (r *Refusal) Error() string {
	if len(r.Details) == 0 {
		return r.Reason
	}
	return r.Reason + ": " + strings.Join(r.Details, "; ")
}

// Equal reports whether two fingerprints are of the same version and digest.
func (fp Fingerprint) Equal(o Fingerprint) bool {
	return fp.Version == o.Version && fp.Digest == o.Digest
}

// MaxListed is the most changes whose short digests a comment's hidden line lists; past it only
// the digest is kept (a hidden line of about 26 bytes a change, within GitHub's comment size).
const MaxListed = 400

// Entries returns the short id digests and change digests sorted by id digest, as pairs.
func (fp Fingerprint) Entries() [][2]string {
	ids := make([]string, 0, len(fp.Changes))
	for id := range fp.Changes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([][2]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, [2]string{id, fp.Changes[id]})
	}
	return out
}
