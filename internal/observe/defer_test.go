package observe_test

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// recordingScanner records which buckets were scanned.
type recordingScanner struct {
	mu      sync.Mutex
	scanned []string
}

func (r *recordingScanner) Scan(_ context.Context, t observe.ScanTarget) (*state.ObjectCounts, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scanned = append(r.scanned, t.Bucket)
	return &state.ObjectCounts{Scanned: 1, Compliant: 1}, nil
}

// TestDeferScan: a bucket DeferScan names is not scanned, and says its objects are left for later;
// the other buckets that ask for a scan are scanned as before.
func TestDeferScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clients := clientsAt(t, layer.URL)
	big, small := unique("deferred"), unique("scanned")
	pol := &policy.Policy{}
	for _, name := range []string{big, small} {
		if _, err := clients.S3("us-east-1").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		pol.Buckets = append(pol.Buckets, policy.Bucket{Name: name, Encryption: policy.SSES3, ExistingObjects: policy.ObjectsReencrypt})
	}
	sc := &recordingScanner{}
	st, err := observe.New(&counting{c: clients}, observe.Options{HomeRegion: "us-east-1", Scanner: sc,
		DeferScan: func(b policy.Bucket) bool { return b.Name == big }}).Observe(ctx, pol)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.scanned) != 1 || sc.scanned[0] != small {
		t.Errorf("scanned %v, want only %s", sc.scanned, small)
	}
	if b := st.Buckets[big]; !b.ObjectsDeferred || b.Objects != nil {
		t.Errorf("%s: deferred %v objects %+v, want deferred and no counts", big, b.ObjectsDeferred, b.Objects)
	}
	if b := st.Buckets[small]; b.ObjectsDeferred || b.Objects == nil || b.Objects.Scanned != 1 {
		t.Errorf("%s: deferred %v objects %+v, want scanned", small, b.ObjectsDeferred, b.Objects)
	}
}
