package awstest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// The layer reads a key's facts (metadata, aliases, tags, policy: four requests to moto) for
// every request that uses the key, so it keeps what it read. One cache serves every layer in
// front of the same moto (tests start layers of their own over a shared one), so a write through
// any of them is seen by all at once.

// keyCacheTTL bounds how long key facts read from moto are reused: writes that reach moto without
// passing a layer (a test's own client) are seen after it at the latest.
const keyCacheTTL = 20 * time.Second

// keyCache holds key facts by account, Region and reference.
type keyCache struct {
	mu      sync.Mutex
	layers  int    // the layers using it
	gen     uint64 // counts writes, so that a read begun before one is not kept
	entries map[string]keyInfoEntry
	flight  singleflight.Group
}

type keyInfoEntry struct {
	ref  string // the reference it was read by: key id, key ARN, alias name or alias ARN
	info keyInfo
	ok   bool
	at   time.Time
}

var keyCaches = struct {
	sync.Mutex
	byUpstream map[string]*keyCache
}{byUpstream: map[string]*keyCache{}}

// acquireKeyCache returns the cache of the moto at upstream; releaseKeyCache gives it back, and
// the last layer to give it back drops it (another moto may later listen at the same address).
func acquireKeyCache(upstream string) *keyCache {
	keyCaches.Lock()
	defer keyCaches.Unlock()
	kc := keyCaches.byUpstream[upstream]
	if kc == nil {
		kc = &keyCache{entries: map[string]keyInfoEntry{}}
		keyCaches.byUpstream[upstream] = kc
	}
	kc.layers++
	return kc
}

func releaseKeyCache(upstream string, kc *keyCache) {
	keyCaches.Lock()
	defer keyCaches.Unlock()
	kc.layers--
	if kc.layers == 0 && keyCaches.byUpstream[upstream] == kc {
		delete(keyCaches.byUpstream, upstream)
	}
}

// get returns the facts held for a key reference, or reads them with read: requests that miss
// together read once. The generation in the flight's name keeps a read begun before a write
// from answering a request that arrived after it, and from being kept.
func (kc *keyCache) get(cacheKey, ref string, read func() (keyInfo, bool)) (keyInfo, bool) {
	kc.mu.Lock()
	e, ok := kc.entries[cacheKey]
	gen := kc.gen
	kc.mu.Unlock()
	if ok && time.Since(e.at) < keyCacheTTL {
		return e.info, e.ok
	}
	v, _, _ := kc.flight.Do(fmt.Sprintf("%d|%s", gen, cacheKey), func() (any, error) {
		info, found := read()
		e := keyInfoEntry{ref: ref, info: info, ok: found, at: time.Now()}
		kc.mu.Lock()
		if kc.gen == gen {
			kc.entries[cacheKey] = e
		}
		kc.mu.Unlock()
		return e, nil
	})
	e = v.(keyInfoEntry)
	return e.info, e.ok
}

// clear empties the cache.
func (kc *keyCache) clear() {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	kc.gen++
	kc.entries = map[string]keyInfoEntry{}
}

// forget drops what the cache holds of the keys and aliases named (key ids, key or alias ARNs,
// alias names) and every "no such key" answer (the write may have made one).
func (kc *keyCache) forget(refs ...string) {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = keyRefName(r)
	}
	kc.mu.Lock()
	defer kc.mu.Unlock()
	kc.gen++
	for k, e := range kc.entries {
		if !e.ok || e.names(names) {
			delete(kc.entries, k)
		}
	}
}

// names says whether the entry is about a key or alias among names (each as keyRefName gives it).
func (e keyInfoEntry) names(names []string) bool {
	for _, n := range names {
		if keyRefName(e.ref) == n || e.info.id == n || slices.Contains(e.info.aliases, n) {
			return true
		}
	}
	return false
}

// keyRefName is the short form of a key reference: a key ARN's key id, an alias ARN's alias name.
func keyRefName(ref string) string {
	if i := strings.Index(ref, ":alias/"); i >= 0 && strings.HasPrefix(ref, "arn:") {
		return ref[i+1:]
	}
	return keyIDOf(ref)
}
