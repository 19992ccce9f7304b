package report

import (
	"bytes"
	"testing"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// update is declared in fixtures_test.go.

// samplePlans are plans computed (by the real plan.Compute) from literal states.
func samplePlans() map[string]*plan.Plan {
	const acct = "111122223333"
	keyARN := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	pol := &policy.Policy{Path: "sseguard.yaml", Keys: []policy.Key{{Alias: "alias/hls", Description: "Videos", Rotation: true, Pos: policy.Pos{Line: 4}}},
		Buckets: []policy.Bucket{
			{Name: "media-hls", Encryption: policy.SSEKMS, KMSKey: "alias/hls", BucketKey: true, Pos: policy.Pos{Line: 9}},
			{Name: "thumbs", Encryption: policy.SSES3, Pos: policy.Pos{Line: 14}},
			{Name: "gone", Encryption: policy.SSES3, Pos: policy.Pos{Line: 17}},
			{Name: "archive", Encryption: policy.SSEKMS, KMSKey: "alias/old", BucketKey: true, Pos: policy.Pos{Line: 20}},
		}}
	drift := &state.State{Account: acct,
		Buckets: map[string]*state.Bucket{
			"media-hls": {Name: "media-hls", Exists: true, Region: "us-east-1", Encryption: &state.Rule{Algorithm: "AES256"}},
			"thumbs":    {Name: "thumbs", Exists: true, Region: "us-east-1", Encryption: &state.Rule{Algorithm: "aws:kms"}},
			"gone":      {Name: "gone"},
			"archive":   {Name: "archive", Exists: true, Region: "us-east-1"},
		},
		Keys: map[state.KeyRef]*state.Key{
			{Region: "us-east-1", Ref: "alias/hls"}: {Found: false},
			{Region: "us-east-1", Ref: "alias/old"}: {Found: true, ARN: keyARN, ID: "1234abcd-12ab-34cd-56ef-1234567890ab", Account: acct,
				Region: "us-east-1", State: "PendingDeletion", Manager: "CUSTOMER"},
		}}
	inSyncPol := &policy.Policy{Path: "sseguard.yaml", Buckets: pol.Buckets[1:2]}
	inSync := &state.State{Account: acct, Buckets: map[string]*state.Bucket{
		"thumbs": {Name: "thumbs", Exists: true, Region: "us-east-1", Encryption: &state.Rule{Algorithm: "AES256"}}}}
	return map[string]*plan.Plan{
		"drift":   plan.Compute(pol, drift),
		"in-sync": plan.Compute(inSyncPol, inSync),
	}
}

func TestTextGolden(t *testing.T) {
	for name, p := range samplePlans() {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Text(&buf, p); err != nil {
				t.Fatal(err)
			}
			mdGolden(t, "text", name+".txt", buf.String())
		})
	}
}

func TestResultLineEscapesControlCharacters(t *testing.T) {
	r := plan.Result{ChangeID: "c", Outcome: plan.Failed, Error: "a\nb\x1b[31mc\u0085d"}
	if got, want := ResultLine(r), `failed     c: a\x0ab\x1b[31mc\u0085d`; got != want {
		t.Errorf("ResultLine = %q, want %q", got, want)
	}
}
