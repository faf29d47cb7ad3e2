package l1

import (
	"errors"
	"testing"
	"time"
)

func TestFresh(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	f := Freshness{PollWithin: time.Minute, HeadWithin: time.Hour}
	ok := Status{Synced: true, LastPollOK: now.Add(-30 * time.Second), HeadChangedAt: now.Add(-50 * time.Minute)}
	cases := []struct {
		name string
		mod  func(*Status)
		f    Freshness
		want error
	}{
		{"fresh", func(*Status) {}, f, nil},
		{"never synced", func(s *Status) { s.Synced = false }, f, ErrNotSynced},
		{"endpoints disagree", func(s *Status) { s.Disagree = true }, f, ErrEndpointsDisagree},
		{"last poll failed", func(s *Status) { s.LastError = "boom" }, f, ErrRPCFailed},
		{"no bound", func(*Status) {}, Freshness{}, ErrPollStale},
		{"no head bound", func(*Status) {}, Freshness{PollWithin: time.Minute}, ErrPollStale},
		{"poll too old", func(s *Status) { s.LastPollOK = now.Add(-61 * time.Second) }, f, ErrPollStale},
		{"head stalled", func(s *Status) { s.HeadChangedAt = now.Add(-61 * time.Minute) }, f, ErrHeadStalled},
		{"disagree wins over error", func(s *Status) { s.Disagree, s.LastError = true, "x" }, f, ErrEndpointsDisagree},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ok
			c.mod(&s)
			err := s.Fresh(now, c.f)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Fresh = %v, want %v", err, c.want)
			}
		})
	}
}
