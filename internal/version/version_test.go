package version

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	t.Parallel()
	rev := "0123456789abcdef0123456789abcdef01234567"
	settings := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "arm64"},
			{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := map[string]struct {
		bi            *debug.BuildInfo
		ok            bool
		stamp, commit string
		short, line   string
	}{
		"go install of a tag": {bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}}, ok: true,
			short: "v1.2.3", line: "sseguard v1.2.3 (go1.26.8, "},
		"clone, clean": {bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: settings("false")}, ok: true,
			short: "devel+0123456789ab", line: "sseguard devel (commit 0123456789ab, go1.26.8, darwin/arm64)"},
		"clone, modified": {bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: settings("true")}, ok: true,
			short: "devel+0123456789ab-dirty", line: "sseguard devel (commit 0123456789ab, modified, go1.26.8, darwin/arm64)"},
		"release stamp wins": {bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: settings("false")}, ok: true,
			stamp: "v2.0.0", short: "v2.0.0", line: "sseguard v2.0.0 (commit 0123456789ab, go1.26.8, darwin/arm64)"},
		"stamped commit without vcs": {bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, ok: true,
			stamp: "v2.0.0", commit: "fedcba9876543210", short: "v2.0.0", line: "sseguard v2.0.0 (commit fedcba987654, go1.26.8, "},
		"no build info": {ok: false, short: "devel", line: "sseguard devel (go"},
	}
	for name, tc := range tests {
		in := fromBuildInfo(tc.bi, tc.ok, tc.stamp, tc.commit)
		if got := in.Short(); got != tc.short {
			t.Errorf("%s: Short() = %q, want %q", name, got, tc.short)
		}
		if got := in.String(); len(got) < len(tc.line) || got[:len(tc.line)] != tc.line {
			t.Errorf("%s: String() = %q, want it to start %q", name, got, tc.line)
		}
	}
}
