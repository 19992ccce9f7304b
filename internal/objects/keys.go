package objects

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// isKeyARN says whether ref is a key ARN, the one reference to a key that needs no resolving.
func isKeyARN(ref string) bool {
	return strings.HasPrefix(ref, "arn:") && strings.Contains(ref, ":key/")
}

// keyCache resolves each key reference once per run.
type keyCache struct {
	r      KeyResolver
	region string
	m      sync.Map // reference → *keyEntry
}

// keyEntry is one reference, resolved once.
type keyEntry struct {
	once sync.Once
	arn  string
	err  error
}

func newKeyCache(r KeyResolver, region string) *keyCache {
	return &keyCache{r: r, region: region}
}

// resolve answers the key ARN of ref, asking the KeyResolver at most once per reference.
func (c *keyCache) resolve(ctx context.Context, ref string) (string, error) {
	if isKeyARN(ref) {
		return ref, nil
	}
	v, _ := c.m.LoadOrStore(ref, &keyEntry{})
	e := v.(*keyEntry)
	e.once.Do(func() {
		if c.r == nil {
			e.err = errors.New("no key resolver")
			return
		}
		e.arn, e.err = c.r.ResolveKeyARN(ctx, c.region, ref)
		if e.err == nil && !isKeyARN(e.arn) {
			e.err = fmt.Errorf("resolver answered %q, not a key ARN", e.arn)
		}
	})
	return e.arn, e.err
}
