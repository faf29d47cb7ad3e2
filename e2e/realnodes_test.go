package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"math/big"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"

	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// TestRealNodes is a P002 withdrawal across real processes: btcd --regtest
// funds the threshold wallet with coinbases, geth --dev runs the
// StakingPool, policyd runs from a config file, custody signs and
// broadcasts with the CLI, and the relayer approves on L2.
//
//  1. Three users stake 1, 2 and 1 BTC on geth and request unbound.
//  2. policyd's indexer shows the UnboundRequired ids finalized.
//  3. The custody node builds a withdrawal PSBT from real spendable coinbase
//     outputs paying the bridge 3 BTC with the OP_RETURN of the first two
//     ids; `custody sign --broadcast` co-signs it with policyd and sends it
//     to btcd; the transaction is mined, policyd's L1 view moves its
//     claims to confirmed, and another transaction paying the same ids is
//     denied reqid_signed.
//  4. `relayer -once` sees the confirmed transfer and calls approveUnbound:
//     geth has UnboundApproved for exactly the two ids, not the third;
//     policyd's ledger follows.
//  5. The audit export verifies against the key of policyd's banner and
//     holds one signature record per input; SIGTERM ends policyd cleanly.
func TestRealNodes(t *testing.T) {
	c := startChains(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	pd := newPolicyd(t, c)
	pd.start()

	amounts := []int64{1 * btcSat, 2 * btcSat, 1 * btcSat}
	ids := c.stakeAndUnbound(ctx, amounts)
	idStrs := []string{ids[0].String(), ids[1].String(), ids[2].String()}
	pd.waitL2State(idStrs, "finalized", 60*time.Second)
	t.Logf("policyd indexed UnboundRequired %v", idStrs)

	// 3 BTC to the bridge for the first two requests, from two coinbases.
	utxos := c.spendable(2)
	pk := c.withdrawal(utxos, amounts[:2], ids[:2], 3_000)
	wantTxID := pk.UnsignedTx.TxHash()
	h0, err := c.btc.Height()
	if err != nil {
		t.Fatal(err)
	}
	sign, txFile := pd.custodySign("custody sign --broadcast", pk, c, true)
	sign.mustExit(3*time.Minute, 0)
	m := regexp.MustCompile(`broadcast: ([0-9a-f]{64})`).FindStringSubmatch(sign.stderr.String())
	if m == nil {
		t.Fatalf("custody sign did not report a broadcast:\n%s", sign.stderr.String())
	}
	if m[1] != wantTxID.String() {
		t.Fatalf("broadcast txid %s, the PSBT's is %s", m[1], wantTxID)
	}
	raw, err := os.ReadFile(txFile)
	if err != nil {
		t.Fatal(err)
	}
	signedBytes, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.btc.WaitConfirmations(ctx, &wantTxID, 2); err != nil {
		t.Fatalf("withdrawal %s not mined: %v", wantTxID, err)
	}
	mined, err := c.btc.RawTx(&wantTxID)
	if err != nil {
		t.Fatal(err)
	}
	var minedBytes bytes.Buffer
	if err := mined.Serialize(&minedBytes); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(minedBytes.Bytes(), signedBytes) {
		t.Fatal("the mined transaction differs from the one custody signed")
	}
	checkWithdrawalOutputs(t, mined, c.bridge.PkScript, 3*btcSat, ids[:2])
	t.Logf("withdrawal %s mined on regtest (%d inputs, 2 confirmations)", wantTxID, len(mined.TxIn))

	// Signed means signed once: the decision is final, its claims too.
	var dec decisionView
	for _, line := range strings.Split(sign.stderr.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "decision "); ok {
			dec.ID, _, _ = strings.Cut(rest, ":")
		}
	}
	if dec.ID == "" {
		t.Fatalf("custody sign did not name its decision:\n%s", sign.stderr.String())
	}
	if dec = pd.decision(dec.ID); dec.Record.State != "signed" || len(dec.Record.Signatures) != 2 {
		t.Fatalf("decision %s: state %q with %d signatures, want signed with 2", dec.ID, dec.Record.State, len(dec.Record.Signatures))
	}
	// Mined 2 deep on btcd is final once policyd's L1 view has seen it:
	// the claims are confirmed, and another transaction paying the same
	// reqIds is reqid_signed. (Until the view's next poll the claims are
	// still broadcast and such a transaction is judged as a would-be
	// replacement, denied replacement_not_conflicting: TestL1's step 1.)
	pd.waitClaims(dec.ID, ids[:2], "confirmed")
	code, again := pd.submit(c.withdrawal(c.spendable(1), amounts[:2], ids[:2], 3_000))
	if code != http.StatusForbidden || !hasReason(again.Reasons, "reqid_signed") {
		t.Fatalf("a second withdrawal of the same reqIds: HTTP %d %s %v, want 403 reqid_signed", code, again.Outcome, again.Reasons)
	}

	// The relayer: one poll over the confirmed blocks (contracts_test.go).
	runRelayer(t, c, pd, newRelayerFiles(t, c, pd), h0)

	it, err := c.pool.FilterUnboundApproved(&bind.FilterOpts{Start: c.deployBlock, Context: ctx}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var approved []string
	for it.Next() {
		approved = append(approved, it.Event.ReqId.String())
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	it.Close()
	sort.Strings(approved)
	want := []string{idStrs[0], idStrs[1]}
	sort.Strings(want)
	if strings.Join(approved, ",") != strings.Join(want, ",") {
		t.Fatalf("UnboundApproved on L2 for %v, want exactly %v", approved, want)
	}
	t.Logf("relayer: UnboundApproved on geth for exactly %v", approved)
	pd.waitL2State(idStrs[:2], "approved", 60*time.Second)
	if _, _, st, err := pd.l2Request(idStrs[2]); err != nil || st != "finalized" {
		t.Fatalf("reqId %s (not withdrawn) is %q in policyd's ledger (%v), want finalized", idStrs[2], st, err)
	}

	recs := pd.auditExport()
	sigs := signaturesOf(t, recs, dec.ID)
	if len(sigs) != 2 || sigs[0] != 1 || sigs[1] != 1 {
		t.Fatalf("audit signature records of %s by input: %v, want one for each of 2 inputs", dec.ID, sigs)
	}
	t.Logf("audit export: %d records verified against %s", len(recs), pd.verifierKey)
	pd.stop()
}

// checkWithdrawalOutputs requires the mined transaction to pay the bridge
// exactly amount and to carry the OP_RETURN naming ids.
func checkWithdrawalOutputs(t *testing.T, tx *wire.MsgTx, bridge []byte, amount int64, ids []*big.Int) {
	t.Helper()
	var paid int64
	var opret []byte
	for _, o := range tx.TxOut {
		switch {
		case bytes.Equal(o.PkScript, bridge):
			paid += o.Value
		case len(o.PkScript) > 0 && o.PkScript[0] == 0x6a:
			opret = o.PkScript
		}
	}
	if paid != amount {
		t.Fatalf("the mined tx pays the bridge %d sat, want %d", paid, amount)
	}
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = id.String()
	}
	if want := psbtgen.OpReturnScript(psbtgen.StReqIDsPayload(strs...)); !bytes.Equal(opret, want) {
		t.Fatalf("the mined tx's OP_RETURN is %x, want %x", opret, want)
	}
}
