package initpolicy

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
)

// Options say how to write the policy.
type Options struct {
	// WriteAccount writes the caller's account as the policy's account, so that sseguard refuses
	// to touch any other (--account-id-from-caller). Without it the file names no account.
	WriteAccount bool
}

// Result is the policy file Build wrote.
type Result struct {
	// YAML is the policy file. Every line is already as package sanitize would print it, so
	// printing it through the sanitizer changes nothing.
	YAML []byte
	// Adopted are the buckets written as entries of buckets, sorted; NotAdopted those written
	// commented out.
	Adopted, NotAdopted []string
}

// ErrNothingAdopted is returned (with the Result) when no bucket could be adopted as it is: the
// file lists them all commented out and does not validate until one entry is written.
var ErrNothingAdopted = errors.New("no bucket can be adopted as it is: each is written commented out, with the reason; the file is not a valid policy until at least one entry is in buckets")

// Build writes the policy for the snapshot: every bucket the plan finds in sync with it as an entry,
// every other bucket commented out with the reasons. It makes no AWS call.
func Build(s *Snapshot, o Options) (*Result, error) {
	if s == nil || len(s.Buckets) == 0 {
		return nil, errors.New("no bucket to write a policy for")
	}
	snap := *s
	snap.Buckets = slices.Clone(s.Buckets)
	sort.SliceStable(snap.Buckets, func(i, j int) bool { return snap.Buckets[i].Name < snap.Buckets[j].Name })
	for i := 1; i < len(snap.Buckets); i++ {
		if snap.Buckets[i].Name == snap.Buckets[i-1].Name {
			return nil, fmt.Errorf("bucket %q is listed twice", snap.Buckets[i].Name)
		}
	}
	bd := &builder{s: &snap, o: o, byName: map[string]*entry{}, keys: map[string]*keyEntry{}}
	bd.decide()
	for _, e := range bd.entries {
		bd.byName[e.b.Name] = e
	}
	bd.validate()
	bd.check()

	out, err := bd.render()
	if err != nil {
		return nil, err
	}
	res := &Result{YAML: out}
	for _, e := range bd.entries {
		if e.adopted {
			res.Adopted = append(res.Adopted, e.b.Name)
		} else {
			res.NotAdopted = append(res.NotAdopted, e.b.Name)
		}
	}
	if len(res.Adopted) == 0 {
		return res, ErrNothingAdopted
	}
	if err := bd.readBack(out); err != nil {
		return nil, err
	}
	return res, nil
}

type builder struct {
	s       *Snapshot
	o       Options
	entries []*entry
	byName  map[string]*entry
	// keys are the keys entries by alias (those no adopted bucket uses are not written).
	keys map[string]*keyEntry
}

// policy is the policy the adopted entries make, as the written file reads back.
func (bd *builder) policy() *policy.Policy {
	p := &policy.Policy{Path: "sseguard.yaml", Version: 1, Region: bd.s.Region}
	if bd.o.WriteAccount {
		p.Account = bd.s.Account
	}
	line := 1
	for _, ke := range bd.usedKeys() {
		p.Keys = append(p.Keys, policy.Key{Alias: ke.alias, Description: ke.description(), Rotation: ke.rotation(), Pos: policy.Pos{Line: line, Column: 5}})
		line++
	}
	for _, e := range bd.entries {
		if e.adopted {
			b := e.b
			b.Pos = policy.Pos{Line: line, Column: 5}
			line++
			p.Buckets = append(p.Buckets, b)
		}
	}
	return p
}

// usedKeys are the keys entries adopted buckets name, by alias.
func (bd *builder) usedKeys() []*keyEntry {
	var out []*keyEntry
	for _, alias := range sortedKeys(bd.keys) {
		for _, e := range bd.entries {
			if e.adopted && e.alias == alias {
				out = append(out, bd.keys[alias])
				break
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// validate refuses entries the policy file cannot hold as they are (a legacy bucket name, say):
// each adopted entry is written alone and read back through the policy's own validation.
func (bd *builder) validate() {
	for _, e := range bd.entries {
		if !e.adopted {
			continue
		}
		one := &builder{s: bd.s, o: bd.o, entries: []*entry{e}, keys: map[string]*keyEntry{}}
		if e.alias != "" {
			one.keys[e.alias] = bd.keys[e.alias]
		}
		out, err := one.render()
		if err == nil {
			_, err = policy.Parse("sseguard.yaml", out)
		}
		if err == nil {
			continue
		}
		var perrs policy.Errors
		if errors.As(err, &perrs) {
			for _, pe := range perrs {
				e.exclude("sseguard's policy file cannot name it as it is: %s.", strings.TrimSuffix(pe.Message, "."))
			}
		} else {
			e.exclude("sseguard's policy file cannot name it as it is: %v.", err)
		}
		e.show = false
	}
}

// check plans the adopted entries against the snapshot, as `sseguard plan` will against the
// account, and writes commented out every bucket the plan would change or refuse. Leaving a bucket
// out can only take requirements off a key its neighbours share, so this settles in a few rounds.
func (bd *builder) check() {
	for range len(bd.entries) + 1 {
		pol := bd.policy()
		if len(pol.Buckets) == 0 {
			return
		}
		pl := plan.Compute(pol, bd.state(pol))
		changed := false
		for _, row := range pl.Buckets {
			e := bd.byName[row.Name]
			if row.Status == plan.InSync || e == nil || !e.adopted {
				continue
			}
			changed = true
			for _, bl := range pl.Blockers {
				if bl.Bucket == row.Name {
					e.exclude("sseguard plan would refuse it as it is (%s): %s.", bl.Code, strings.TrimSuffix(bl.Message, "."))
				}
			}
			for _, id := range row.Changes {
				if ch, ok := pl.Change(id); ok {
					e.exclude("sseguard plan would change it (%s): %s → %s.", ch.Kind, ch.Before, ch.After)
					if ch.Kind == plan.SetDefaultEncryption || ch.Kind == plan.EnableBucketKey {
						// Short lines saying why the rule is rewritten (policy diffs are not).
						for _, d := range ch.Details {
							e.why = append(e.why, sentence(d))
						}
					}
				}
			}
			if len(e.why) == 0 {
				e.exclude("sseguard plan finds it %s.", row.Status)
			}
		}
		if !changed {
			for _, w := range pl.Warnings {
				if w.Code == plan.WarnCloudFrontOAI {
					continue // said already, for every SSE-KMS entry (builder.oai)
				}
				if e := bd.byName[w.Bucket]; e != nil && e.adopted {
					note := "sseguard plan warns: " + w.Message
					if !slices.Contains(e.notes, note) {
						e.notes = append(e.notes, note)
					}
				}
			}
			return
		}
	}
}

// readBack parses the written file with the policy's own parser and checks it says exactly what
// was planned: whatever AWS returned, the encoder's quoting kept every value as it was.
func (bd *builder) readBack(out []byte) error {
	got, err := policy.Parse("sseguard.yaml", out)
	if err != nil {
		return fmt.Errorf("the policy init wrote does not validate (a bug in sseguard init): %w", err)
	}
	if !reflect.DeepEqual(withoutPositions(bd.policy()), withoutPositions(got)) {
		return fmt.Errorf("the policy init wrote reads back differently from what was planned (a bug in sseguard init):\n%s", out)
	}
	return nil
}

// withoutPositions is p without positions, and with empty lists and maps as nil.
func withoutPositions(p *policy.Policy) policy.Policy {
	c := *p
	c.Path = ""
	c.Keys, c.Buckets = nil, nil
	for _, k := range p.Keys {
		k.Pos = policy.Pos{}
		if len(k.Tags) == 0 {
			k.Tags = nil
		}
		if len(k.Administrators) == 0 {
			k.Administrators = nil
		}
		c.Keys = append(c.Keys, k)
	}
	for _, b := range p.Buckets {
		b.Pos = policy.Pos{}
		if len(b.Prefixes) == 0 {
			b.Prefixes = nil
		}
		c.Buckets = append(c.Buckets, b)
	}
	if len(c.TrustedAccounts) == 0 {
		c.TrustedAccounts = nil
	}
	return c
}

// sentence makes a plan's detail ("the rule names the key as alias/media") a sentence of its own
// in the comment: first letter capitalised, one closing full stop.
func sentence(s string) string {
	s = strings.TrimSuffix(s, ".") + "."
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}
