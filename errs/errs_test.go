package errs

import (
	"errors"
	"fmt"
	"testing"
)

// A classified error survives wrapping, keeps its cause for logs, and an
// unclassified one is reported as such (the API then answers 500).
func TestAsThroughWrapping(t *testing.T) {
	cause := errors.New("disk on fire")
	e := New(KindUnavailable, "l2_stale", "the L2 view is stale", cause)
	wrapped := fmt.Errorf("decision: %w", e)
	got, ok := As(wrapped)
	if !ok || got.Kind != KindUnavailable || got.Code != "l2_stale" {
		t.Fatalf("As(%v) = %+v, %v", wrapped, got, ok)
	}
	if !errors.Is(wrapped, cause) {
		t.Fatal("cause lost")
	}
	if got.Msg == got.Error() {
		t.Fatal("Error() should carry the internal cause, Msg only the client text")
	}
	if _, ok := As(cause); ok {
		t.Fatal("an unclassified error was classified")
	}
	if _, ok := As(nil); ok {
		t.Fatal("nil classified")
	}
}
