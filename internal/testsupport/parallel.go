package testsupport

import (
	"flag"
	"fmt"
	"runtime"
)

// WaitingParallel is how many tests at once a package whose tests mostly wait (on moto, the AWS
// CLI, a child process) runs by default: go test's own default, GOMAXPROCS, leaves a 2-core
// machine's cores idle while two tests wait on one emulator.
func WaitingParallel() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// RaiseParallel sets go test's -parallel to n unless the command line gave it. Call it from
// TestMain, before m.Run. It parses the test flags (m.Run would).
func RaiseParallel(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if given {
		return
	}
	if err := flag.Set("test.parallel", fmt.Sprint(n)); err != nil {
		panic("testsupport.RaiseParallel: " + err.Error())
	}
}
