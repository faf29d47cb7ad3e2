package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/mpc"
)

// The operators' log: one structured line (slog) for every decision,
// governance action, freeze and signing, written where the services are
// wired, so it does not depend on how each domain package logs. Every line
// has an "event" key; ids are strings (reqIds are 256-bit); secrets
// (signatures of admins, PSBTs, shares) are never logged.

// loggedSign logs every sign request's outcome.
type loggedSign struct {
	api.SignService
	log *slog.Logger
}

func (l *loggedSign) SubmitRequest(ctx context.Context, req decision.Request) (*decision.View, error) {
	v, err := l.SignService.SubmitRequest(ctx, req)
	if err != nil {
		code := "internal"
		if e, ok := errs.As(err); ok {
			code = e.Code
		}
		l.log.Warn("sign request refused before a decision", "event", "decision_error", "dry_run", req.DryRun, "code", code, "err", err)
		return v, err
	}
	if v != nil {
		// The view's summary, not a decode of its record: a decision's line
		// must not cost a second pass over the record (issue 20).
		rec := v.Summary
		reasons := v.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		claims := rec.ReqIDs
		if claims == nil {
			claims = []string{}
		}
		level := slog.LevelInfo
		if v.Outcome != "allow" && !req.DryRun {
			level = slog.LevelWarn
		}
		// The record is built here rather than by Logger.Log, which walks
		// the stack for the caller's PC on every line (~3 µs a decision);
		// the handlers main.go makes do not log the source.
		if h := l.log.Handler(); h.Enabled(ctx, level) {
			r := slog.NewRecord(time.Now(), level, "decision", 0)
			r.AddAttrs(slog.String("event", "decision"), slog.String("decision_id", v.ID), slog.String("outcome", v.Outcome),
				slog.Any("reasons", reasons), slog.String("txid", rec.TxID), slog.Any("req_ids", claims), slog.String("state", rec.State),
				slog.Bool("dry_run", req.DryRun))
			_ = h.Handle(ctx, r)
		}
	}
	return v, err
}

func (l *loggedSign) Cancel(ctx context.Context, id string) (*decision.View, error) {
	v, err := l.SignService.Cancel(ctx, id)
	if err != nil {
		l.log.Warn("decision cancel refused", "event", "decision_cancel", "decision_id", id, "err", err)
	} else {
		l.log.Info("decision cancelled; its claims are released", "event", "decision_cancel", "decision_id", id)
	}
	return v, err
}

// loggedAuthorizer logs the start and the end of every signing.
type loggedAuthorizer struct {
	mpc.Authorizer
	log *slog.Logger
}

func (l *loggedAuthorizer) BeginSigning(ctx context.Context, id string, peer [][32]byte) ([][32]byte, error) {
	h, err := l.Authorizer.BeginSigning(ctx, id, peer)
	if err != nil {
		l.log.Warn("signing refused", "event", "signing_refused", "decision_id", id, "err", err)
	} else {
		l.log.Info("signing started", "event", "signing_started", "decision_id", id, "inputs", len(h))
	}
	return h, err
}

func (l *loggedAuthorizer) RecordSignatures(ctx context.Context, id string, sigs [][]byte) error {
	err := l.Authorizer.RecordSignatures(ctx, id, sigs)
	if err != nil {
		l.log.Error("signatures not recorded: none released", "event", "signing_failed", "decision_id", id, "err", err)
	} else {
		l.log.Info("signatures recorded", "event", "signed", "decision_id", id, "inputs", len(sigs))
	}
	return err
}

// loggedGovernance logs every governance write: proposals, approvals,
// rejections, freezes and unfreezes, accepted or refused.
type loggedGovernance struct {
	api.Governance
	log *slog.Logger
}

func (l *loggedGovernance) proposal(event string, p *governance.Proposal, err error, attrs ...any) {
	if err != nil {
		l.log.Warn("governance action refused", append([]any{"event", event, "err", err}, attrs...)...)
		return
	}
	if p == nil {
		return
	}
	l.log.Info("governance action", append([]any{"event", event, "proposal_id", p.ID, "status", p.Status,
		"action", p.Content.Action, "entry_kind", p.Content.EntryKind, "address", p.Content.Address, "label", p.Content.Label,
		"approvals", len(p.Approvals)}, attrs...)...)
}

func (l *loggedGovernance) Propose(ctx context.Context, sp governance.SignedProposal) (*governance.Proposal, error) {
	p, err := l.Governance.Propose(ctx, sp)
	l.proposal("whitelist_propose", p, err, "proposed_action", sp.Proposal.Action, "proposed_address", sp.Proposal.Address)
	return p, err
}

func (l *loggedGovernance) Approve(ctx context.Context, id string, a governance.Approval) (*governance.Proposal, error) {
	p, err := l.Governance.Approve(ctx, id, a)
	l.proposal("whitelist_approve", p, err, "id", id)
	return p, err
}

func (l *loggedGovernance) Reject(ctx context.Context, id string, r governance.Rejection) (*governance.Proposal, error) {
	p, err := l.Governance.Reject(ctx, id, r)
	l.proposal("whitelist_reject", p, err, "id", id, "reason", r.Reason)
	return p, err
}

func (l *loggedGovernance) Freeze(ctx context.Context, f governance.FreezeRequest) (governance.FreezeState, error) {
	st, err := l.Governance.Freeze(ctx, f)
	switch {
	case err != nil:
		l.log.Warn("freeze request refused", "event", "freeze", "epoch", f.Epoch, "reason", f.Reason, "err", err)
	case st.Frozen:
		l.log.Warn("signing FROZEN", "event", "freeze", "frozen", true, "by", st.By, "reason", st.Reason, "epoch", st.Epoch)
	default:
		l.log.Warn("signing unfrozen", "event", "freeze", "frozen", false, "by", st.By, "reason", st.Reason, "epoch", st.Epoch)
	}
	return st, err
}
