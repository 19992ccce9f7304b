package objects

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sseguard/sseguard/internal/inventory"
	"github.com/sseguard/sseguard/internal/state"
)

// InventoryGroup counts the objects of an inventory delivery that share an EncryptionStatus and a
// storage class.
type InventoryGroup struct {
	// EncryptionStatus is as the inventory writes it (SSE-S3, SSE-KMS, DSSE-KMS, SSE-C, NOT-SSE).
	EncryptionStatus, StorageClass string
	Objects                        int
	// Over counts the objects larger than the size CountInventory was given.
	Over int
}

// InventoryCounts is what CountInventory found.
type InventoryCounts struct {
	Groups []InventoryGroup
	// Objects counts every current object in the target's prefixes.
	Objects int
	Source  *state.ObjectSource
}

// CountInventory counts the bucket's objects from its latest usable S3 Inventory alone, without
// listing the bucket or reading any object: by EncryptionStatus and storage class, and how many
// are larger than over bytes. It chooses and checks the delivery as a Scan does (trusted
// destination owner, InventoryNotBefore, manifest.checksum, data files' MD5, bounded rows,
// Options.MaxDuration) and answers an error saying why when no inventory can be used. It is for
// planning a bucket too large to list (a first generation of Batch Operations jobs, for the kinds
// present): the counts are as old as the delivery.
func CountInventory(ctx context.Context, api S3API, t Target, o Options) (*InventoryCounts, error) {
	start := time.Now()
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	o = o.withDefaults()
	if err := t.validate(false); err != nil {
		return nil, err
	}
	ia, ok := api.(InventoryAPI)
	if !ok {
		return nil, errors.New("this client cannot read S3 Inventory")
	}
	r := &runner{c: newClient(api, o, t.ExpectedBucketOwner), t: t, o: o, start: start, stopCh: make(chan struct{})}
	if o.MaxDuration > 0 {
		timer := time.AfterFunc(o.MaxDuration, func() { r.stop(StoppedMaxDuration) })
		defer timer.Stop()
	}
	sink := &countSink{groups: map[[2]string]*InventoryGroup{}, over: MaxMultipartThreshold}
	src, _, err := r.loadInventory(ctx, ia, sink)
	if err != nil {
		return nil, err
	}
	out := &InventoryCounts{Objects: sink.objects, Source: src}
	for _, g := range sink.groups {
		out.Groups = append(out.Groups, *g)
	}
	sortGroups(out.Groups)
	src.FromInventory = sink.objects
	return out, nil
}

// countSink counts rows by encryption status and storage class.
type countSink struct {
	groups  map[[2]string]*InventoryGroup
	objects int
	over    int64
}

func (s *countSink) row(row inventory.Row, _ inventory.Schema) error {
	k := [2]string{row.EncryptionStatus, classOf(row.StorageClass)}
	g := s.groups[k]
	if g == nil {
		g = &InventoryGroup{EncryptionStatus: k[0], StorageClass: k[1]}
		s.groups[k] = g
	}
	g.Objects++
	if row.Size > s.over {
		g.Over++
	}
	s.objects++
	return nil
}

func (s *countSink) reset() {
	s.groups = map[[2]string]*InventoryGroup{}
	s.objects = 0
}

func sortGroups(gs []InventoryGroup) {
	for i := 1; i < len(gs); i++ {
		for j := i; j > 0 && gs[j].EncryptionStatus+" "+gs[j].StorageClass < gs[j-1].EncryptionStatus+" "+gs[j-1].StorageClass; j-- {
			gs[j], gs[j-1] = gs[j-1], gs[j]
		}
	}
}
