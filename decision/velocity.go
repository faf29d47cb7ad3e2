package decision

// The 24 h velocity windows as running sums.
//
// Two windows are kept: the outflow of allowed decisions by decision time
// (BucketOutflow, read at decision) and the outflow of decisions that began
// signing by the time signing began (BucketSigningOutflow, read at the
// re-check). Both hold one entry per decision, keyed 8-byte big-endian unix
// ns || decision id, valued 8-byte big-endian sat. Next to each, in
// BucketOutflowWindow, a running sum: "tail" (unix ns) and "sum", the sum
// of every entry whose time is at or after tail. Reading the window
// [from, to] moves the tail to from: the entries that left the window since
// the last move are subtracted (or, should from be behind the tail, added
// back), each visited once over the life of the file, so a decision costs
// O(1) amortized however many entries the window holds. Every write of an
// entry goes through putWindow / deleteWindow, which keep the sum. The sum
// is exact at the edge: an entry at exactly from counts, one a nanosecond
// earlier does not, as in the scan (windowScan) that the tests compare it
// with. Entries are never later than the time that reads them: they are
// written at the writer's clock, which never runs behind the floor.
//
// A file written before the running sums has no window state: the first
// read computes it by one scan (and a writer stores it).
//
// An RBF family counts once: when a replacement is allowed (and again when
// it begins signing), the entries of the signed transactions it replaces
// are set to zero and its own entry holds the largest of their values and
// its own; the values it zeroed are kept in its record (OutflowSuperseded)
// and restored if it is released.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// window names one running-sum window: its entries' bucket and its state
// keys in BucketOutflowWindow.
type window struct {
	entries   []byte
	tail, sum []byte
}

var (
	decisionWindow = window{entries: storage.BucketOutflow, tail: []byte("outflow_tail"), sum: []byte("outflow_sum")}
	signingWindow  = window{entries: storage.BucketSigningOutflow, tail: []byte("signing_tail"), sum: []byte("signing_sum")}
)

// windowState is a window's running sum: sum of the entries at or after tail.
type windowState struct {
	tail int64
	sum  int64
}

func (w window) load(tx *bolt.Tx) (windowState, bool, error) {
	b := tx.Bucket(storage.BucketOutflowWindow)
	if b == nil {
		return windowState{}, false, fmt.Errorf("bucket %s missing (schema not migrated?)", storage.BucketOutflowWindow)
	}
	t, s := b.Get(w.tail), b.Get(w.sum)
	if t == nil && s == nil {
		return windowState{}, false, nil
	}
	if len(t) != 8 || len(s) != 8 {
		return windowState{}, false, fmt.Errorf("%s: corrupt running sum", w.entries)
	}
	return windowState{tail: int64(binary.BigEndian.Uint64(t)), sum: int64(binary.BigEndian.Uint64(s))}, true, nil
}

func (w window) store(tx *bolt.Tx, st windowState) error {
	b := tx.Bucket(storage.BucketOutflowWindow)
	if err := b.Put(w.tail, binary.BigEndian.AppendUint64(nil, uint64(st.tail))); err != nil {
		return err
	}
	return b.Put(w.sum, binary.BigEndian.AppendUint64(nil, uint64(st.sum)))
}

// state returns the window's running sum, computing it by one scan of the
// whole bucket for a file that has none yet (tail at the earliest time).
func (w window) state(tx *bolt.Tx) (windowState, error) {
	st, ok, err := w.load(tx)
	if err != nil || ok {
		return st, err
	}
	st = windowState{tail: minTail}
	err = tx.Bucket(w.entries).ForEach(func(k, v []byte) error {
		if len(k) >= 8 && len(v) == 8 {
			st.sum += int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return st, err
}

// minTail is before every entry (keys are unix ns of times after 1970).
const minTail = 0

func entryTime(k []byte) int64 { return int64(binary.BigEndian.Uint64(k[:8])) }

// rangeSum sums the entries with time in [lo, hi).
func (w window) rangeSum(tx *bolt.Tx, lo, hi int64) int64 {
	var sum int64
	c := tx.Bucket(w.entries).Cursor()
	for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, uint64(lo))); len(k) >= 8 && entryTime(k) < hi; k, v = c.Next() {
		if len(v) == 8 {
			sum += int64(binary.BigEndian.Uint64(v))
		}
	}
	return sum
}

// since returns the sum of the entries at or after from (the window
// [from, now] of a reader whose now is not behind any entry), moving the
// tail to from and storing it when tx is writable.
func (w window) since(tx *bolt.Tx, from time.Time) (int64, error) {
	st, err := w.state(tx)
	if err != nil {
		return 0, err
	}
	f := from.UnixNano()
	switch {
	case f > st.tail:
		st.sum -= w.rangeSum(tx, st.tail, f)
	case f < st.tail:
		st.sum += w.rangeSum(tx, f, st.tail)
	}
	st.tail = f
	if tx.Writable() {
		if err := w.store(tx, st); err != nil {
			return 0, err
		}
	}
	return st.sum, nil
}

// put writes (or overwrites) the entry k with sat, keeping the sum.
func (w window) put(tx *bolt.Tx, k []byte, sat int64) error {
	st, err := w.state(tx)
	if err != nil {
		return err
	}
	b := tx.Bucket(w.entries)
	if entryTime(k) >= st.tail {
		if old := b.Get(k); len(old) == 8 {
			st.sum -= int64(binary.BigEndian.Uint64(old))
		}
		st.sum += sat
	}
	if err := b.Put(k, binary.BigEndian.AppendUint64(nil, uint64(sat))); err != nil {
		return err
	}
	return w.store(tx, st)
}

// get returns the entry k's value (0, false when there is none).
func (w window) get(tx *bolt.Tx, k []byte) (int64, bool) {
	v := tx.Bucket(w.entries).Get(k)
	if len(v) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), true
}

// delete removes the entry k, keeping the sum.
func (w window) delete(tx *bolt.Tx, k []byte) error {
	st, err := w.state(tx)
	if err != nil {
		return err
	}
	b := tx.Bucket(w.entries)
	if old := b.Get(k); len(old) == 8 && entryTime(k) >= st.tail {
		st.sum -= int64(binary.BigEndian.Uint64(old))
	}
	if err := b.Delete(k); err != nil {
		return err
	}
	return w.store(tx, st)
}

// windowScan is the window [from, to] by a scan of every entry in it: what
// the running sum replaces, kept for the tests that compare the two.
func windowScan(tx *bolt.Tx, w window, from, to time.Time, skip string) int64 {
	c := tx.Bucket(w.entries).Cursor()
	var sum int64
	for k, v := c.Seek(binary.BigEndian.AppendUint64(nil, uint64(from.UnixNano()))); len(k) >= 8; k, v = c.Next() {
		if entryTime(k) > to.UnixNano() {
			break
		}
		if string(k[8:]) == skip || len(v) != 8 {
			continue
		}
		sum += int64(binary.BigEndian.Uint64(v))
	}
	return sum
}

// Superseded is a window entry an RBF replacement set to zero, with the
// value to restore if the replacement is released.
type Superseded struct {
	Signing bool   `json:"signing,omitempty"` // the signing window's entry (else the decision window's)
	Key     []byte `json:"key"`
	Sat     int64  `json:"sat"`
}

// supersede zeroes the entries keys of w (the earlier members of r's RBF
// family) and returns the largest value they held and what to restore.
func supersede(tx *bolt.Tx, w window, keys [][]byte) (int64, []Superseded, error) {
	var largest int64
	var out []Superseded
	for _, k := range keys {
		v, ok := w.get(tx, k)
		if !ok || v == 0 {
			continue
		}
		largest = max(largest, v)
		out = append(out, Superseded{Signing: bytes.Equal(w.entries, storage.BucketSigningOutflow), Key: bytes.Clone(k), Sat: v})
		if err := w.put(tx, k, 0); err != nil {
			return 0, nil, err
		}
	}
	return largest, out, nil
}

// restoreSuperseded gives the family members their values back (a released
// replacement), where their entries still exist.
func restoreSuperseded(tx *bolt.Tx, ss []Superseded) error {
	for _, s := range ss {
		w := decisionWindow
		if s.Signing {
			w = signingWindow
		}
		if _, ok := w.get(tx, s.Key); !ok {
			continue
		}
		if err := w.put(tx, s.Key, s.Sat); err != nil {
			return err
		}
	}
	return nil
}

// inWindow sums the values of keys of w at or after from (the family
// members a replacement is judged without).
func inWindow(tx *bolt.Tx, w window, keys [][]byte, from time.Time) int64 {
	var sum int64
	for _, k := range keys {
		if v, ok := w.get(tx, k); ok && entryTime(k) >= from.UnixNano() {
			sum += v
		}
	}
	return sum
}

// familyKeys returns the window entries (decision and signing windows) of
// the decisions of txids: the signed transactions of an RBF family.
func familyKeys(tx *bolt.Tx, txids []string) (outflow, signing [][]byte, err error) {
	seen := map[string]bool{}
	for _, txid := range txids {
		if seen[txid] {
			continue
		}
		seen[txid] = true
		id := tx.Bucket(storage.BucketDecisionByTx).Get([]byte(txid))
		if id == nil {
			return nil, nil, fmt.Errorf("signed transaction %s has no decision", txid)
		}
		r, err := loadRecord(tx, string(id))
		if err != nil || r == nil {
			return nil, nil, fmt.Errorf("decision of signed transaction %s: %v", txid, err)
		}
		if len(r.OutflowKey) > 0 {
			outflow = append(outflow, r.OutflowKey)
		}
		if k := signingKey(r); k != nil {
			signing = append(signing, k)
		}
	}
	return outflow, signing, nil
}

// signingKey is r's entry in the signing window (nil before it began).
func signingKey(r *Record) []byte {
	for i := len(r.Transitions) - 1; i >= 0; i-- {
		if r.Transitions[i].Event == EventBegin {
			return timeKey(r.Transitions[i].At, r.ID)
		}
	}
	return nil
}

// beginOutflow enters r's outflow in the signing window at now; a
// replacement's family stops counting there too.
func (s *Service) beginOutflow(tx *bolt.Tx, r *Record, now time.Time) error {
	var family []string
	for _, q := range r.Decision.Claims {
		c, err := getClaim(tx, q)
		if err != nil {
			return err
		}
		if c != nil && c.DecisionID == r.ID {
			family = append(family, c.Family...)
		}
	}
	var keys [][]byte
	if len(family) > 0 {
		var err error
		if _, keys, err = familyKeys(tx, family); err != nil {
			return err
		}
	}
	return signingWindow.enter(tx, r, timeKey(now, r.ID), keys)
}

// enter writes r's entry k with r's outflow. The entries of family (the
// earlier members of r's RBF family) stop counting: they are set to zero,
// remembered in r to be restored, and k counts the largest of them and r.
func (w window) enter(tx *bolt.Tx, r *Record, k []byte, family [][]byte) error {
	largest, ss, err := supersede(tx, w, family)
	if err != nil {
		return err
	}
	r.OutflowSuperseded = append(r.OutflowSuperseded, ss...)
	return w.put(tx, k, max(r.Decision.OutflowSat, largest))
}
