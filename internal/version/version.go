// Package version says which sseguard is running: the module version and the commit it was built
// from, read from the build information Go embeds in every binary (`go install ...@v1.2.3` records
// v1.2.3; a build in a clone records the commit), or stamped at link time by the release build
// (-ldflags "-X github.com/sseguard/sseguard/internal/version.stamped=v1.2.3"), which wins.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// stamped is the release's version, set by the linker for release archives and images; empty
// otherwise.
var stamped string

// stampedCommit is the release's commit, set by the linker where the build has no VCS information
// (a container build context without .git).
var stampedCommit string

// Info describes one build.
type Info struct {
	// Version is the module version (v1.2.3), or "devel" for a build from a working tree.
	Version string
	// Commit is the VCS revision the binary was built from, when known; Modified says the working
	// tree had uncommitted changes.
	Commit   string
	Modified bool
	// Go is the toolchain that built it (go1.26.8); Platform is GOOS/GOARCH.
	Go, Platform string
}

// Get returns the running binary's build information.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	return fromBuildInfo(bi, ok, stamped, stampedCommit)
}

// fromBuildInfo is Get over given build information, for tests.
func fromBuildInfo(bi *debug.BuildInfo, ok bool, stampedVersion, stampedRev string) Info {
	in := Info{Version: "devel", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if ok && bi != nil {
		if bi.GoVersion != "" {
			in.Go = bi.GoVersion
		}
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			in.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				in.Commit = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			case "GOOS":
				in.Platform = s.Value + in.Platform[strings.Index(in.Platform, "/"):]
			case "GOARCH":
				in.Platform = in.Platform[:strings.Index(in.Platform, "/")+1] + s.Value
			}
		}
	}
	if stampedVersion != "" {
		in.Version = stampedVersion
	}
	if in.Commit == "" && stampedRev != "" {
		in.Commit = stampedRev
	}
	return in
}

// Short is the version alone, e.g. v1.2.3 or devel+0123abcd: what the JSON plan, the job summary
// and the PR comment show.
func (in Info) Short() string {
	v := in.Version
	if in.Version == "devel" && in.Commit != "" {
		v += "+" + shortCommit(in.Commit)
		if in.Modified {
			v += "-dirty"
		}
	}
	return v
}

// String is the line `sseguard version` prints, e.g.
// "sseguard v1.2.3 (commit 0123abcd4567, go1.26.8, linux/amd64)".
func (in Info) String() string {
	var parts []string
	if in.Commit != "" {
		c := "commit " + shortCommit(in.Commit)
		if in.Modified {
			c += ", modified"
		}
		parts = append(parts, c)
	}
	parts = append(parts, in.Go, in.Platform)
	return fmt.Sprintf("sseguard %s (%s)", in.Version, strings.Join(parts, ", "))
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
