package report

import (
	"path/filepath"
	"testing"

	"github.com/sseguard/sseguard/internal/plan/plantest"
	"github.com/sseguard/sseguard/internal/testsupport/golden"
)

// The sample plans every view is tested on (package plantest: package jsonplan renders the same
// ones), under the names these tests use.
var (
	fxInSync     = plantest.InSync
	fxDrift      = plantest.Drift
	fxBlockers   = plantest.Blockers
	fxApplied    = plantest.Applied
	fxHuge       = plantest.Huge
	fxAccounts   = plantest.Accounts
	fxReaders    = plantest.Readers
	fxUnmanaged  = plantest.Unmanaged
	fxBatchDrift = plantest.BatchDrift
	samplePlans  = plantest.Computed
)

const (
	fxAccount     = plantest.Account
	fxMember      = plantest.Member
	fxUnreachable = plantest.Unreachable
	fxKeyARN      = plantest.KeyARN
	fxOldARN      = plantest.OldARN
	fxPartner     = plantest.Partner
)

// mdGolden compares got with testdata/<dir>/<name>, or rewrites it with -update.
func mdGolden(t *testing.T, dir, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", dir, name), got)
}
