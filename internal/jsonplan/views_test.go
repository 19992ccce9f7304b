package jsonplan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/plan/plantest"
	"github.com/sseguard/sseguard/internal/state"
)

// Every entry of a plan over several accounts names its account.
func TestAccounts(t *testing.T) {
	t.Parallel()
	doc, err := New(plantest.Accounts(), nil, testOptions(ModePlan))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(doc.Plan.Accounts, ","); got != plantest.Account+","+plantest.Member+","+plantest.Unreachable {
		t.Errorf("accounts = %s", got)
	}
	for _, b := range doc.Plan.Buckets {
		if b.Account == "" {
			t.Errorf("bucket %s names no account", b.Name)
		}
	}
	if bl := doc.Plan.Blockers[len(doc.Plan.Blockers)-1]; bl.Code != plan.BlockAccountUnreachable || bl.Account != plantest.Unreachable {
		t.Errorf("last blocker = %+v, want account-unreachable of %s", bl, plantest.Unreachable)
	}
}

// plan.unmanaged_buckets is there when the policy asks for the other buckets, listed or not.
func TestUnmanagedPresence(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		u    *state.Unmanaged
		want bool
	}{
		"not asked":      {nil, false},
		"none":           {&state.Unmanaged{AllRegions: true, Buckets: []state.UnmanagedBucket{}}, true},
		"listing failed": {&state.Unmanaged{Regions: []string{"us-east-1"}, Buckets: []state.UnmanagedBucket{}, Err: "AccessDenied"}, true},
	} {
		p := plantest.InSync()
		p.Unmanaged = tc.u
		var js bytes.Buffer
		if err := Write(&js, p, nil, nil, testOptions(ModePlan)); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(js.String(), `"unmanaged_buckets"`); got != tc.want {
			t.Errorf("%s: the document has unmanaged_buckets: %v, want %v", name, got, tc.want)
		}
	}
}

// Where a bucket's counts came from reaches the document as it is.
func TestObjectSource(t *testing.T) {
	t.Parallel()
	for name, src := range map[string]*state.ObjectSource{
		"inventory":               {Kind: state.SourceInventory, InventoryID: "daily", Created: "2026-11-28T00:00:00Z", AgeSeconds: 3 * 3600, FromInventory: 1140, WithHead: 60},
		"no inventory configured": {Kind: state.SourceHead, Reason: state.NoInventoryConfigured},
		"no source":               nil,
	} {
		p := plantest.Drift()
		p.Buckets[0].Objects.Source = src
		doc, err := New(p, nil, testOptions(ModePlan))
		if err != nil {
			t.Fatal(err)
		}
		js := doc.Plan.Buckets[0].Objects.Source
		if (src == nil) != (js == nil) || (js != nil && (js.Kind != src.Kind || js.Reason != src.Reason || js.FromInventory != src.FromInventory ||
			js.InventoryID != src.InventoryID || js.AgeSeconds != src.AgeSeconds || js.WithHead != src.WithHead)) {
			t.Errorf("%s: source %+v, want %+v", name, js, src)
		}
	}
}

// The document says which sseguard wrote it, third after format_version and mode: the action
// recognises a JSON plan an earlier run wrote by its first two members (isPlanJSON), whichever
// version wrote it. A document without a version is refused.
func TestSseguardVersion(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Write(&buf, plantest.InSync(), nil, nil, Options{Mode: ModePlan, Version: "v9.8.7"}); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"format_version\": \"1\",\n  \"mode\": \"plan\",\n  \"sseguard_version\": \"v9.8.7\",\n"; !strings.HasPrefix(buf.String(), want) {
		t.Errorf("the document begins\n%.120s\nwant\n%s", buf.String(), want)
	}
	var doc Document
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.SseguardVersion != "v9.8.7" {
		t.Errorf("decoded sseguard_version %q (%v)", doc.SseguardVersion, err)
	}
	if err := Write(&buf, plantest.InSync(), nil, nil, Options{Mode: ModePlan}); err == nil {
		t.Error("a document without a version was written")
	}
}
