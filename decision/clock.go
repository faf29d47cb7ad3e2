package decision

// Time moves forward only. Every write transaction of this package reads the
// persisted clock floor (the latest time it has used, in storage's meta
// bucket) and raises it to the wall clock; a wall clock behind the floor
// fails closed: no decision (not even a dry run), no begin, no recorded
// signature, no expiry, an error with the stable code clock_behind, a log
// line and the OnClockBehind metric hook, until the wall clock catches up.
// Because every time this package hands to policy.Evaluate, the governance
// and ledger readers (whitelist timelocks, freeze), the expiry and the 24 h
// velocity window passed through clock, none of them ever sees a time below
// the floor: a backward step cannot hide outflow from the window, and a
// forward step, once undone, blocks everything until real time reaches the
// time that was used (while stepped forward, the L2 freshness rule denies:
// the L2 head's block time is far behind).

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/storage"
)

// ErrClockBehind is the cause of every clock_behind refusal.
var ErrClockBehind = errors.New("decision: wall clock is behind the time already used")

// CodeClockBehind is the stable error code of a refusal while the wall clock
// is behind the floor.
const CodeClockBehind = "clock_behind"

var keyClockFloor = []byte("decision_clock_floor")

func clockFloor(tx *bolt.Tx) time.Time {
	v := tx.Bucket(storage.BucketMeta).Get(keyClockFloor)
	if len(v) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()
}

// clock returns wall (UTC) if it is not behind the floor, raising the floor
// to it when write is set (tx must then be writable); otherwise a
// clock_behind error and nothing is written.
func (s *Service) clock(tx *bolt.Tx, wall time.Time, write bool) (time.Time, error) {
	now := wall.UTC().Round(0)
	floor := clockFloor(tx)
	if now.Before(floor) {
		behind := floor.Sub(now)
		s.cfg.Logger.Error("decision: wall clock behind the clock floor: no decisions and no signatures until it catches up",
			"now", now.Format(time.RFC3339Nano), "floor", floor.Format(time.RFC3339Nano), "behind", behind.String())
		if s.cfg.OnClockBehind != nil {
			s.cfg.OnClockBehind(behind)
		}
		return time.Time{}, errs.New(errs.KindUnavailable, CodeClockBehind,
			"the server clock is behind time it already used; refusing until it catches up",
			fmt.Errorf("%w: now %s, floor %s", ErrClockBehind, now.Format(time.RFC3339Nano), floor.Format(time.RFC3339Nano)))
	}
	if write && now.After(floor) {
		v := binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano()))
		if err := tx.Bucket(storage.BucketMeta).Put(keyClockFloor, v); err != nil {
			return time.Time{}, err
		}
		floor = now
	}
	s.raiseFloorCache(floor)
	return now, nil
}

// raiseFloorCache keeps the in-memory copy of the floor for FlooredNow
// (monotonic; a rolled-back write leaves it ahead, which only errs late).
func (s *Service) raiseFloorCache(f time.Time) {
	if f.IsZero() {
		return // no floor yet
	}
	n := f.UnixNano()
	for {
		cur := s.floorNS.Load()
		if n <= cur || s.floorNS.CompareAndSwap(cur, n) {
			return
		}
	}
}

// FlooredNow is the wall clock, never below the clock floor: what other
// components whose time decides something (governance's timelocks and
// proposal expiries) should use as their clock, so that a backward step
// cannot date a whitelist change earlier than time already used. It reads
// only memory (safe inside any bbolt transaction).
func (s *Service) FlooredNow() time.Time {
	now := s.cfg.Now().UTC()
	if f := time.Unix(0, s.floorNS.Load()).UTC(); now.Before(f) {
		return f
	}
	return now
}

// ClockFloor returns the persisted floor (the zero time before first use).
func (s *Service) ClockFloor(ctx context.Context) (time.Time, error) {
	var f time.Time
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		f = clockFloor(tx)
		return nil
	})
	return f, err
}

// classify passes a classified error through and makes anything else an
// internal storage error.
func classify(err error) error {
	if e, ok := errs.As(err); ok {
		return e
	}
	return internal(err)
}
