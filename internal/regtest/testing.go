package regtest

import (
	"context"
	"testing"
	"time"
)

// StartT starts a node for a test, stops it at the test's end and prints
// the tail of btcd's log when the test failed. Start errors fail the test.
func StartT(t testing.TB, cfg Config) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("regtest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("btcd log tail:\n%s", n.LogTail(6000))
		}
		n.Stop()
	})
	return n
}
