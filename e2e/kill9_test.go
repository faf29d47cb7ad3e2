package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil/psbt"
)

// TestKill9DuringSigning kills policyd with SIGKILL while it co-signs an
// 8-input withdrawal, restarts it on the same data directory and checks
// what a crash must not change:
//
//   - the decision is still "signing" with no signature recorded, and its
//     reqIds stay claimed: another transaction naming them is denied;
//   - the same PSBT gets the same decision back (sticky), not a new one;
//   - the audit log verifies against the verifier key of the banner (the
//     same before and after the crash);
//   - signing resumes to completion exactly once: one "signature" record per
//     input, the transaction is valid and mined on regtest, and a further
//     signing of the same decision is refused.
func TestKill9DuringSigning(t *testing.T) {
	c := startChains(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	pd := newPolicyd(t, c)
	pd.start()
	amounts := []int64{1 * btcSat, 1 * btcSat}
	ids := c.stakeAndUnbound(ctx, amounts)
	idStrs := []string{ids[0].String(), ids[1].String()}
	pd.waitL2State(idStrs, "finalized", 60*time.Second)

	const inputs = 8
	pk := c.withdrawal(c.spendable(inputs), amounts, ids, 10_000)
	txid := pk.UnsignedTx.TxHash()
	code, first := pd.submit(pk)
	if code != http.StatusOK || first.Outcome != "allow" {
		t.Fatalf("withdrawal: HTTP %d %s %v, want allow", code, first.Outcome, first.Reasons)
	}
	id := first.ID

	// custody sign submits the same PSBT (sticky: same decision) and signs.
	sign, out := pd.custodySign("custody sign (policyd killed)", pk, c, false)
	eventually(t, 60*time.Second, 50*time.Millisecond, "decision "+id+" is signing", func() (bool, error) {
		st := pd.decision(id).Record.State
		if st == "signed" {
			t.Fatalf("decision %s was signed before the kill: the test missed its window", id)
		}
		if !sign.running() {
			t.Fatalf("custody sign exited before signing began:\n%s", sign.stderr.String())
		}
		return st == "signing", nil
	})
	time.Sleep(500 * time.Millisecond) // the tss-lib rounds are under way (8 inputs take several seconds)
	if st := pd.decision(id).Record.State; st != "signing" {
		t.Fatalf("decision %s is %q just before the kill, want signing", id, st)
	}
	pd.proc.signal(syscall.SIGKILL)
	if _, err := pd.proc.wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("policyd killed with SIGKILL while decision %s was signing", id)

	// The custody node loses its peer mid-protocol: no transaction.
	if code, err := sign.wait(90 * time.Second); err != nil || code == 0 {
		t.Fatalf("custody sign after policyd died: exit %d, %v; want a failure", code, err)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("custody sign wrote a transaction although policyd died mid-signing (stat: %v)", err)
	}

	pd.start() // same config, same data directory; same verifier key (checked)
	d := pd.decision(id)
	if d.Record.State != "signing" || len(d.Record.Signatures) != 0 {
		t.Fatalf("after restart decision %s is %q with %d signatures, want signing with none", id, d.Record.State, len(d.Record.Signatures))
	}
	code, again := pd.submit(pk)
	if code != http.StatusOK || again.ID != id || again.Outcome != "allow" {
		t.Fatalf("the same PSBT after restart: HTTP %d decision %s %s, want the sticky decision %s", code, again.ID, again.Outcome, id)
	}
	other := c.withdrawal(c.spendable(inputs + 1)[inputs:], amounts, ids, 3_000)
	code, reuse := pd.submit(other)
	if code != http.StatusForbidden || reuse.Outcome != "deny" || !hasReason(reuse.Reasons, "reqid_signed", "reqid_claimed") {
		t.Fatalf("another tx naming the claimed reqIds after restart: HTTP %d %s %v, want deny reqid_signed/reqid_claimed", code, reuse.Outcome, reuse.Reasons)
	}
	if sigs := signaturesOf(t, pd.auditExport(), id); len(sigs) != 0 {
		t.Fatalf("audit log after the crash has signature records %v for the unfinished decision %s", sigs, id)
	}
	t.Logf("after restart: decision %s still signing, sticky, reqIds denied to others (%s), audit log verifies", id, strings.Join(reuse.Reasons, ","))

	// Resume: the custody node signs the same decision again, to the end.
	resume, _ := pd.custodySign("custody sign (resume)", pk, c, true)
	resume.mustExit(3*time.Minute, 0)
	if !strings.Contains(resume.stderr.String(), "decision "+id+": signed 8 inputs") {
		t.Fatalf("resumed signing did not sign decision %s:\n%s", id, resume.stderr.String())
	}
	if err := c.btc.WaitConfirmations(ctx, &txid, 1); err != nil {
		t.Fatalf("withdrawal %s not mined: %v", txid, err)
	}
	if d := pd.decision(id); d.Record.State != "signed" || len(d.Record.Signatures) != inputs {
		t.Fatalf("decision %s after resuming: %q with %d signatures, want signed with %d", id, d.Record.State, len(d.Record.Signatures), inputs)
	}

	// Signed once: signing the decision again is refused, first by the
	// running server (its finished job), then, after a clean restart, by the
	// stored decision state alone.
	// (mpc passes the decision service's classified refusal on with its
	// code, so after the job is swept the custody node names it.)
	pd.refuseSigning(pk, c, []string{"already_signing", "decision_already_signed"}, []string{"already has a signing job", "decision_already_signed"})
	pd.stop()
	pd.start()
	pd.refuseSigning(pk, c, []string{"decision_already_signed"}, []string{"decision_already_signed"})
	sigs := signaturesOf(t, pd.auditExport(), id)
	if len(sigs) != inputs {
		t.Fatalf("audit signature records of %s by input: %v, want one for each of %d inputs", id, sigs, inputs)
	}
	for in, n := range sigs {
		if n != 1 {
			t.Fatalf("input %d of decision %s has %d signature records in the audit log", in, id, n)
		}
	}
	t.Logf("resumed signing: %s mined, one signature record per input; signing again refused before and after a restart", txid)
	pd.stop()
}

// refuseSigning runs `custody sign` on an already signed PSBT and requires
// a refusal: custody's error names one of codes, policyd's log one of
// causes, and no transaction is written.
func (p *policydNode) refuseSigning(pk *psbt.Packet, c *chains, codes, causes []string) {
	t := p.t
	t.Helper()
	logged := len(p.proc.stderr.String())
	sign, out := p.custodySign("custody sign (again)", pk, c, false)
	if exit, err := sign.wait(2 * time.Minute); err != nil || exit == 0 {
		t.Fatalf("signing a signed decision again: exit %d, %v; want a refusal", exit, err)
	}
	if !containsAny(sign.stderr.String(), codes) {
		t.Fatalf("custody sign was refused without any of %q:\n%s", codes, sign.stderr.String())
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused signing produced a transaction (stat: %v)", err)
	}
	eventually(t, 10*time.Second, 50*time.Millisecond, fmt.Sprintf("policyd logs the refusal (one of %q)", causes), func() (bool, error) {
		return containsAny(p.proc.stderr.String()[logged:], causes), nil
	})
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
