package governance

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/policy"
)

// --- writes ---

// Propose verifies the proposer's signature and stores the proposal. Its id
// is the EIP-712 digest of the content (which includes the proposer's nonce).
func (g *Governance) Propose(ctx context.Context, sp SignedProposal) (*Proposal, error) {
	p := sp.Proposal
	if err := g.validateContent(p); err != nil {
		return nil, err
	}
	auth, err := g.authenticate(ctx, signed{td: ProposalTypedData(g.cfg.Domain, p), signature: sp.Signature,
		expiry: p.Expiry, maxTTL: g.cfg.MaxProposalTTL, role: roleProposer})
	if err != nil {
		return nil, err
	}
	signer, digest, now := auth.signer, auth.digest, auth.now
	id := "0x" + hex.EncodeToString(digest)
	rec := &Proposal{ID: id, Content: p, Proposer: signer.Hex(), ProposerSignature: sp.Signature,
		CreatedAt: now, Status: StatusPending, Approvals: []ApprovalRecord{}}
	err = g.cfg.DB.Update(func(tx *bolt.Tx) error {
		wl, props, gov, _, err := buckets(tx)
		if err != nil {
			return err
		}
		if props.Get([]byte(id)) != nil {
			return fail(errs.KindConflict, "proposal_exists", ErrProposalExists, "this proposal (same content and nonce) was already submitted")
		}
		if err := g.checkState(wl, gov, p, now); err != nil {
			return err
		}
		if err := putJSON(props, []byte(id), rec); err != nil {
			return err
		}
		_, err = g.cfg.Audit.AppendBody(tx, now, &records.WhitelistProposal{Proposal: *rec})
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// checkState checks that a proposal still makes sense against the store.
func (g *Governance) checkState(wl, gov *bolt.Bucket, p ProposalContent, now time.Time) error {
	switch p.Action {
	case ActionAdd:
		canon, _, _, err := g.NormalizeEntry(p.EntryKind, p.Address)
		if err != nil {
			return err
		}
		if wl.Get(entryKey(p.EntryKind, canon)) != nil {
			return fail(errs.KindConflict, "entry_exists", ErrEntryExists, "the entry is already on the whitelist")
		}
	case ActionRemove:
		canon, _, _, err := g.NormalizeEntry(p.EntryKind, p.Address)
		if err != nil {
			return err
		}
		if wl.Get(entryKey(p.EntryKind, canon)) == nil {
			return fail(errs.KindConflict, "entry_not_found", ErrEntryNotFound, "the entry is not on the whitelist")
		}
	case ActionUnfreeze:
		fs, err := readFreeze(gov)
		if err != nil {
			return err
		}
		if !fs.Frozen {
			return fail(errs.KindConflict, "not_frozen", ErrNotFrozen, "signing is not frozen")
		}
		if fs.Epoch != p.FreezeEpoch {
			return fail(errs.KindConflict, "freeze_epoch_mismatch", ErrEpoch, "freeze epoch is %d", fs.Epoch)
		}
	case ActionAllowance:
		canon, _, _, err := g.NormalizeEntry(policy.KindBridgeHotWallet, p.Address)
		if err != nil {
			return err
		}
		var e Entry
		ok, err := getJSON(wl, entryKey(policy.KindBridgeHotWallet, canon), &e)
		if err != nil {
			return err
		}
		if !ok || now.Before(e.ActiveFrom) {
			return fail(errs.KindConflict, "entry_not_found", ErrEntryNotFound, "an allowance must pay an active bridge_hot_wallet entry")
		}
	}
	return nil
}

// Approve records a security admin's approval; the approval that completes
// the quorum executes the proposal in the same transaction.
func (g *Governance) Approve(ctx context.Context, id string, a Approval) (*Proposal, error) {
	if !validID(id) {
		return nil, invalid("proposal id must be 0x + 64 lowercase hex")
	}
	auth, err := g.authenticate(ctx, signed{td: ApprovalTypedData(g.cfg.Domain, id, a.Expiry), signature: a.Signature,
		expiry: a.Expiry, role: roleSecurityAdmin})
	if err != nil {
		return nil, err
	}
	signer, now := auth.signer, auth.now
	return g.updatePending(id, now, func(tx *bolt.Tx, p *Proposal) error {
		rec := ApprovalRecord{Signer: signer.Hex(), Expiry: a.Expiry, Signature: a.Signature, At: now}
		event := &records.WhitelistApproval{ProposalID: id, Approval: rec}
		renewed := false
		for i, ap := range p.Approvals {
			if ap.Signer != rec.Signer {
				continue
			}
			if ap.Expiry > now.Unix() {
				return fail(errs.KindConflict, "duplicate_approval", ErrDuplicateApproval, "this admin already approved the proposal (the approval is still live)")
			}
			// A fresh signature renews an expired approval: it replaces
			// it, so an admin still has one vote, and the audit event
			// names the approval it renews.
			p.Approvals[i], renewed = rec, true
			renews := ap
			event.Renews = &renews
			break
		}
		if !renewed {
			p.Approvals = append(p.Approvals, rec)
		}
		if _, err := g.cfg.Audit.AppendBody(tx, now, event); err != nil {
			return err
		}
		if valid := validApprovals(p, now); len(valid) >= g.cfg.Quorum {
			wl, _, gov, allow, err := buckets(tx)
			if err != nil {
				return err
			}
			return g.execute(tx, wl, gov, allow, p, valid, now)
		}
		return nil
	})
}

// updatePending runs change on the pending proposal id inside one writer
// transaction and stores the result; change appends its own audit events.
// Nothing is stored when the proposal is missing, not pending, expired, or
// change fails.
func (g *Governance) updatePending(id string, now time.Time, change func(tx *bolt.Tx, p *Proposal) error) (*Proposal, error) {
	var out *Proposal
	err := g.cfg.DB.Update(func(tx *bolt.Tx) error {
		_, props, _, _, err := buckets(tx)
		if err != nil {
			return err
		}
		p, err := loadProposal(props, id)
		if err != nil {
			return err
		}
		if err := pendingCheck(p, now); err != nil {
			return err
		}
		if err := change(tx, p); err != nil {
			return err
		}
		out = p
		return putJSON(props, []byte(id), p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func pendingCheck(p *Proposal, now time.Time) error {
	if p.Status != StatusPending {
		return fail(errs.KindConflict, "proposal_not_pending", ErrNotPending, "the proposal is %s", p.Status)
	}
	if now.Unix() >= p.Content.Expiry {
		return fail(errs.KindConflict, "proposal_expired", ErrNotPending, "the proposal expired")
	}
	return nil
}

// validApprovals are the approvals still unexpired at now: quorum counts only
// those.
func validApprovals(p *Proposal, now time.Time) []string {
	var out []string
	for _, a := range p.Approvals {
		if a.Expiry > now.Unix() {
			out = append(out, a.Signer)
		}
	}
	return out
}

// execute applies a proposal that reached quorum.
func (g *Governance) execute(tx *bolt.Tx, wl, gov, allow *bolt.Bucket, p *Proposal, approvers []string, now time.Time) error {
	if err := g.checkState(wl, gov, p.Content, now); err != nil {
		return err
	}
	c := p.Content
	effective := now
	var event records.Body
	switch c.Action {
	case ActionAdd:
		canon, script, pub, _ := g.NormalizeEntry(c.EntryKind, c.Address)
		effective = now.Add(g.timelock)
		e := Entry{Kind: c.EntryKind, Address: canon, PkScript: script, PubKey: pub, Label: c.Label,
			Approvers: approvers, ProposalID: p.ID, Since: now, ActiveFrom: effective}
		if err := putJSON(wl, entryKey(c.EntryKind, canon), e); err != nil {
			return err
		}
		if err := addChange(gov, effective); err != nil {
			return err
		}
		event = &records.WhitelistActivation{Action: c.Action, ProposalID: p.ID, Entry: &e, EffectiveAt: &effective}
	case ActionRemove:
		canon, _, _, _ := g.NormalizeEntry(c.EntryKind, c.Address)
		if err := wl.Delete(entryKey(c.EntryKind, canon)); err != nil {
			return err
		}
		if err := addChange(gov, now); err != nil {
			return err
		}
		at := now
		event = &records.WhitelistActivation{Action: c.Action, ProposalID: p.ID, EntryKind: c.EntryKind, Address: canon, Approvers: approvers, EffectiveAt: &at}
	case ActionUnfreeze:
		fs, err := readFreeze(gov)
		if err != nil {
			return err
		}
		prev := fs
		fs = FreezeState{Frozen: false, Epoch: fs.Epoch + 1, By: strings.Join(approvers, ","), Reason: "unfreeze " + p.ID, At: now}
		if err := putJSON(gov, keyFreeze, fs); err != nil {
			return err
		}
		event = &records.Unfreeze{ProposalID: p.ID, Approvers: approvers, Previous: prev, State: fs}
	case ActionAllowance:
		canon, script, _, _ := g.NormalizeEntry(policy.KindBridgeHotWallet, c.Address)
		a := AllowanceRecord{ID: p.ID, PlanID: c.PlanID, AmountSat: c.AmountSat, Address: canon, PkScript: script, OpenedAt: now}
		if err := putJSON(allow, []byte(p.ID), a); err != nil {
			return err
		}
		event = &records.AllowanceOpen{ProposalID: p.ID, Allowance: a, Approvers: approvers}
	}
	p.Status = StatusExecuted
	p.ExecutedAt = &now
	p.EffectiveAt = &effective
	_, err := g.cfg.Audit.AppendBody(tx, now, event)
	return err
}

// Reject cancels a pending proposal; any Bitlayer admin may.
func (g *Governance) Reject(ctx context.Context, id string, r Rejection) (*Proposal, error) {
	if !validID(id) {
		return nil, invalid("proposal id must be 0x + 64 lowercase hex")
	}
	if err := checkText("reason", r.Reason, 0, 512); err != nil {
		return nil, err
	}
	auth, err := g.authenticate(ctx, signed{td: RejectionTypedData(g.cfg.Domain, id, r.Reason, r.Expiry), signature: r.Signature,
		expiry: r.Expiry, role: roleBitlayerAdmin})
	if err != nil {
		return nil, err
	}
	signer, now := auth.signer, auth.now
	return g.updatePending(id, now, func(tx *bolt.Tx, p *Proposal) error {
		p.Status = StatusRejected
		p.Rejection = &RejectionRecord{Signer: signer.Hex(), Reason: r.Reason, Signature: r.Signature, At: now}
		_, err := g.cfg.Audit.AppendBody(tx, now, &records.WhitelistRejection{ProposalID: id, Rejection: *p.Rejection})
		return err
	})
}

// Bootstrap seeds an empty whitelist with entries active at once (dev mode
// and first deployment: the bridge hot wallet must exist from day one). It
// refuses when the whitelist or the proposal list is not empty.
func (g *Governance) Bootstrap(ctx context.Context, entries []EntryInput) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(entries) == 0 {
		return invalid("nothing to bootstrap")
	}
	now := g.now()
	var out []Entry
	seen := map[string]bool{}
	for _, in := range entries {
		canon, script, pub, err := g.NormalizeEntry(in.Kind, in.Address)
		if err != nil {
			return err
		}
		if err := checkText("label", in.Label, 0, 256); err != nil {
			return err
		}
		k := string(entryKey(in.Kind, canon))
		if seen[k] {
			return invalid("duplicate bootstrap entry")
		}
		seen[k] = true
		out = append(out, Entry{Kind: in.Kind, Address: canon, PkScript: script, PubKey: pub, Label: in.Label,
			Approvers: []string{"bootstrap"}, Since: now, ActiveFrom: now})
	}
	return g.cfg.DB.Update(func(tx *bolt.Tx) error {
		wl, props, gov, _, err := buckets(tx)
		if err != nil {
			return err
		}
		if k, _ := wl.Cursor().First(); k != nil {
			return fail(errs.KindConflict, "whitelist_not_empty", ErrNotEmpty, "bootstrap needs an empty whitelist")
		}
		if k, _ := props.Cursor().First(); k != nil {
			return fail(errs.KindConflict, "whitelist_not_empty", ErrNotEmpty, "bootstrap needs no prior proposals")
		}
		for _, e := range out {
			if err := putJSON(wl, entryKey(e.Kind, e.Address), e); err != nil {
				return err
			}
			if err := addChange(gov, now); err != nil {
				return err
			}
		}
		_, err = g.cfg.Audit.AppendBody(tx, now, &records.WhitelistActivation{Action: records.ActivationBootstrap, Entries: out})
		return err
	})
}
