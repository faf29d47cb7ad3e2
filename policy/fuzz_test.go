package policy_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// FuzzEvaluate mutates the facts and snapshot of a valid withdrawal and a
// staking transaction from fuzz bytes. Evaluate must never panic, and an
// allow must never let an output through whose script is neither the
// wallet's (change), a whitelisted destination, nor a Babylon output that
// rebuilds from approved keys.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte{0}, false)
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, true)
	f.Add(bytes.Repeat([]byte{0xff}, 64), false)
	scs := loadScenarios(f)
	type base struct {
		facts policy.Facts
		snap  policy.Snapshot
	}
	var bases []base
	for _, sc := range scs {
		bases = append(bases, base{scenarioFacts(f, &sc), sc.Snapshot})
	}
	scripts := [][]byte{
		psbtgen.P2WPKHOutput("stranger", 1).PkScript,
		psbtgen.P2WPKHOutput("bridge-hot-wallet", 1).PkScript,
		append([]byte{0x51, 0x20}, bytes.Repeat([]byte{7}, 32)...),
		{0x6a, 0x01, 0x00},
		nil,
	}
	f.Fuzz(func(t *testing.T, data []byte, flip bool) {
		r := &reader{b: data}
		b := bases[int(r.u8())%len(bases)]
		facts, snap := clone(t, b.facts, b.snap)
		for n := int(r.u8() % 8); n > 0; n-- {
			switch r.u8() % 19 {
			case 0:
				i := int(r.u8()) % len(facts.Outputs)
				facts.Outputs[i].PkScript = scripts[int(r.u8())%len(scripts)]
			case 1:
				i := int(r.u8()) % len(facts.Outputs)
				facts.Outputs[i].Class = []policy.Class{policy.ClassChange, policy.ClassExternal, policy.ClassOpReturn, "x"}[r.u8()%4]
			case 2:
				i := int(r.u8()) % len(facts.Outputs)
				facts.Outputs[i].Value = int64(r.u64())
			case 3:
				facts.ReqIDs = append(facts.ReqIDs, fmt.Sprint(r.u8()%4+100))
			case 4:
				facts.HasOpReturn = !facts.HasOpReturn
			case 5:
				facts.Fee, facts.FeeRate = int64(r.u64()), int64(r.u64())
			case 6:
				snap.Whitelist.Entries = append(snap.Whitelist.Entries, policy.WhitelistEntry{Kind: policy.KindBridgeHotWallet, PkScript: scripts[int(r.u8())%len(scripts)]})
			case 7:
				if len(snap.Whitelist.Entries) > 0 {
					snap.Whitelist.Entries = snap.Whitelist.Entries[1:]
				}
			case 8:
				if len(snap.Requests) > 0 {
					q := &snap.Requests[int(r.u8())%len(snap.Requests)]
					q.AmountSat, q.Kind = int64(r.u64()), []string{policy.KindStaked, policy.KindUnbound, ""}[r.u8()%3]
				}
			case 9:
				snap.Params.FIFOFallback = flip
				snap.PendingUnbound = append(snap.PendingUnbound, policy.Request{ID: "7", Kind: policy.KindUnbound, AmountSat: int64(r.u64() % 1e9), Token: snap.Params.BTCToken, State: policy.StateFinalized})
			case 10:
				snap.Allowances = append(snap.Allowances, policy.Allowance{ID: "a", AmountSat: int64(r.u64() % 1e9), PkScript: scripts[int(r.u8())%len(scripts)]})
			case 11:
				snap.Stake.FinalizedStakedSat, snap.OutflowSat = int64(r.u64()), int64(r.u64())
			case 12:
				i := int(r.u8()) % len(facts.Outputs)
				facts.Outputs[i].Staking = &policy.StakingDecl{StakerKey: r.bytes(33), StakingTime: uint16(r.u64())}
			case 13:
				snap.WalletKey = r.bytes(33)
			case 14: // the wallet key as the co-managed staker key
				snap.Params.StakerKey = snap.WalletKey
			case 15:
				snap.L1 = nil
			case 16:
				if b := snap.Babylon; b != nil {
					v := &b.Version
					switch r.u8() % 6 {
					case 0:
						v.CovenantQuorum = int(r.u8() % 7)
					case 1:
						v.MaxFinalityProviders = uint32(r.u8() % 3)
					case 2:
						v.MinStakingValueSat, v.MaxStakingValueSat = int64(r.u64()%1e9), int64(r.u64()%1e10)
					case 3:
						v.MinStakingTimeBlocks, v.MaxStakingTimeBlocks = uint16(r.u64()), uint16(r.u64())
					case 4:
						b.NextActivation = uint32(r.u64())
					case 5:
						if len(v.CovenantPKs) > 0 {
							v.CovenantPKs = v.CovenantPKs[1:]
						}
					}
				}
			case 17:
				snap.Stake.StakedSat, snap.Stake.ReturnedSat = int64(r.u64()%2e9), int64(r.u64()%2e9)
			case 18:
				if d := facts.Outputs[int(r.u8())%len(facts.Outputs)].Staking; d != nil {
					d.FinalityProviders = append(d.FinalityProviders, r.bytes(33))
					d.StakingTime = uint16(r.u64())
				}
			}
		}
		d := policy.Evaluate(facts, snap, time.Time{})
		// The Engine (key cached from the unmutated snapshot) decides the same.
		if d2 := policy.NewEngine(b.snap.WalletKey).Evaluate(facts, snap, time.Time{}); !reflect.DeepEqual(d, d2) {
			t.Fatalf("Engine and Evaluate differ:\n%+v\n%+v", d, d2)
		}
		if d.Outcome == policy.Allow {
			if len(d.Reasons) != 0 {
				t.Fatal("allow with reasons")
			}
			assertEveryOutputJustified(t, facts, snap)
			// One accounting rule: whatever stakes stays within the room.
			st := snap.Stake
			if d.StakingSat > 0 && st.StakedSat+policy.StakeCharge(d.StakingSat, snap.Replaces) > st.FinalizedStakedSat-st.ReturnedSat {
				t.Fatalf("allowed staking %d sat beyond the room: %+v", d.StakingSat, st)
			}
		} else if len(d.Reasons) == 0 {
			t.Fatal("deny without a reason")
		}
	})
}

func assertEveryOutputJustified(t *testing.T, f policy.Facts, s policy.Snapshot) {
	t.Helper()
	k, err := babylon.ParseKey(s.WalletKey)
	if err != nil {
		t.Fatal("allowed without a wallet key")
	}
	walletScript := append([]byte{0x00, 0x14}, btcutil.Hash160(k.SerializeCompressed())...)
	for _, o := range f.Outputs {
		switch o.Class {
		case policy.ClassChange:
			if !bytes.Equal(o.PkScript, walletScript) {
				t.Fatalf("allowed change output %d not paying the wallet", o.Index)
			}
			continue
		case policy.ClassOpReturn:
			if o.Value != 0 {
				t.Fatal("allowed a valued OP_RETURN")
			}
			continue
		}
		ok := false
		for _, w := range s.Whitelist.Entries {
			if (w.Kind == policy.KindBridgeHotWallet || w.Kind == policy.KindStakingDestination) && bytes.Equal(w.PkScript, o.PkScript) {
				ok = true
			}
		}
		if !ok && !rebuildsFromApproved(s, o) {
			t.Fatalf("allowed output %d (%x): neither change, whitelisted nor a verified staking output", o.Index, o.PkScript)
		}
	}
}

// rebuildsFromApproved is an independent check of a staking output: an L1
// view and a valid Babylon version; the co-managed staker key (never the
// wallet key); whitelisted finality providers within the version's count
// (the declared ones, or one for an undeclared output); a project staking
// time within the version's bounds; a value within them; and the script
// rebuilt from those with the version's committee.
func rebuildsFromApproved(s policy.Snapshot, o policy.Output) bool {
	if s.L1 == nil || s.Babylon == nil {
		return false
	}
	g, err := s.Babylon.Version.Params()
	if err != nil {
		return false
	}
	staker, err := babylon.ParseKey(s.Params.StakerKey)
	if err != nil {
		return false
	}
	if wk, err := babylon.ParseKey(s.WalletKey); err == nil && bytes.Equal(babylon.XOnly(wk), babylon.XOnly(staker)) {
		return false
	}
	if o.Value < g.MinStakingValue || o.Value > g.MaxStakingValue {
		return false
	}
	whitelisted := func(k *btcec.PublicKey) bool {
		for _, w := range s.Whitelist.Entries {
			if x, err := babylon.ParseKey(w.PubKey); err == nil && w.Kind == policy.KindFinalityProvider && bytes.Equal(babylon.XOnly(x), babylon.XOnly(k)) {
				return true
			}
		}
		return false
	}
	var fpSets [][]*btcec.PublicKey
	if d := o.Staking; d != nil {
		var set []*btcec.PublicKey
		for _, h := range d.FinalityProviders {
			k, err := babylon.ParseKey(h)
			if err != nil || !whitelisted(k) {
				return false
			}
			set = append(set, k)
		}
		fpSets = append(fpSets, set)
	} else {
		for _, w := range s.Whitelist.Entries {
			if k, err := babylon.ParseKey(w.PubKey); err == nil && w.Kind == policy.KindFinalityProvider {
				fpSets = append(fpSets, []*btcec.PublicKey{k})
			}
		}
	}
	maxFPs := max(1, int(g.MaxFinalityProviders))
	for _, fps := range fpSets {
		if len(fps) < 1 || len(fps) > maxFPs {
			continue
		}
		for _, tm := range s.Params.StakingTimes {
			if tm < g.MinStakingTime || tm > g.MaxStakingTime || (o.Staking != nil && tm != o.Staking.StakingTime) {
				continue
			}
			q := babylon.Params{StakerKey: staker, FinalityProviders: fps, CovenantKeys: g.CovenantKeys, CovenantQuorum: g.CovenantQuorum, StakingTime: tm}
			if got, err := babylon.StakingPkScript(q); err == nil && bytes.Equal(got, o.PkScript) {
				return true
			}
		}
	}
	return false
}

type reader struct {
	b   []byte
	off int
}

func (r *reader) u8() byte {
	if r.off >= len(r.b) {
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

func (r *reader) u64() uint64 {
	var buf [8]byte
	for i := range buf {
		buf[i] = r.u8()
	}
	return binary.BigEndian.Uint64(buf[:])
}

func (r *reader) bytes(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = r.u8()
	}
	return out
}

func clone(t testing.TB, f policy.Facts, s policy.Snapshot) (policy.Facts, policy.Snapshot) {
	t.Helper()
	var f2 policy.Facts
	var s2 policy.Snapshot
	b, _ := json.Marshal(f)
	if err := json.Unmarshal(b, &f2); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(s)
	if err := json.Unmarshal(b, &s2); err != nil {
		t.Fatal(err)
	}
	return f2, s2
}
