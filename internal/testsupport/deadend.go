package testsupport

import (
	"net"
	"sync/atomic"
	"testing"
)

// DeadEndpoint listens on a loopback port, closes every connection at once and counts them: an
// endpoint that never answers, to show a command made no request (or did try one). It returns
// the endpoint's URL and the count so far; the listener closes when the test ends.
func DeadEndpoint(t testing.TB) (url string, connections func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return "http://" + l.Addr().String(), func() int { return int(n.Load()) }
}
