// Package records is the schema of the audit log's typed records: one Go
// type per record kind, each naming its kind and the version of its body
// schema, and the strict decoder the verifier uses.
//
// # Trust model
//
// Nothing here trusts a body: Decode accepts a body only if it decodes into
// the registered type of its (kind, version) with no unknown field, passes
// the type's own checks, and (checked by package audit, which owns the
// canonical form) re-encodes to exactly the same bytes, so a missing
// required field, an explicit zero where the writer omits it, or any other
// shape the writer could not have produced is refused. Whether a record is
// in the log at all is established only by package audit (hashes and a
// signed checkpoint).
//
// # Why a package of its own
//
// Package audit's verifier must decode every kind strictly, and the domain
// packages that write records (decision, governance, mpc, cmd/policyd)
// import audit or are imported by what imports it: the schema cannot live
// in them. It lives here, owned by audit, depending only on the pure
// package policy (a decision record carries policy.Facts, policy.Snapshot
// and policy.Decision, which is what lets an auditor replay it). Writers
// build these types; package audit appends them; the verifier and
// `policyctl audit recheck` decode them. Nothing here does I/O.
//
// # Versions
//
// A (kind, version) pair names one schema forever. Changing a type's JSON
// shape (a field added, removed, renamed or retyped, here or in the policy
// types a decision embeds) would make records already in logs fail to
// re-encode, so it needs a new version: keep the old type, add a new one
// with Version() one higher, and register both. TestSchemaGolden pins every
// registered shape (testdata/schema.golden) so such a change cannot go
// unnoticed.
package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Body is a typed record body: it names its kind ([a-z_]+, as in the
// record's "kind") and the version of its schema (the record's "kind_v").
type Body interface {
	Kind() string
	Version() int
}

// Validator is implemented by bodies with checks beyond their JSON shape
// (required non-empty ids, enums). Decode calls it; so does audit's Append.
type Validator interface {
	Validate() error
}

// ErrUnknownKind is returned for a (kind, version) with no registered type.
var ErrUnknownKind = errors.New("records: unknown record kind or version")

// ErrInvalid is returned for a body that does not match its kind's schema.
var ErrInvalid = errors.New("records: body does not match its schema")

// Schema describes one registered (kind, version).
type Schema struct {
	Kind    string
	Version int
	// Doc is one line on what the record says and who appends it.
	Doc string
	new func() Body
}

// New returns a zero body of the schema's type (a pointer).
func (s Schema) New() Body { return s.new() }

// Schemas returns every registered (kind, version), sorted by kind then
// version. The table is built on each call: there is no mutable state.
func Schemas() []Schema {
	s := schemas()
	sort.Slice(s, func(i, j int) bool {
		if s[i].Kind != s[j].Kind {
			return s[i].Kind < s[j].Kind
		}
		return s[i].Version < s[j].Version
	})
	return s
}

// schemas is the registry, unsorted.
func schemas() []Schema {
	return []Schema{
		{KindDecision, 1, "a decision: the facts and snapshot policy.Evaluate read and its result (decision service, in the tx that reserves the claims)", func() Body { return new(Decision) }},
		{KindDecision, 2, "a decision naming the whitelist and parameters it read by hash (whitelist_state, params_state earlier in the log)", func() Body { return new(DecisionV2) }},
		{KindWhitelistState, 1, "the whitelist the decisions that name its hash read (decision service, once per whitelist, before the first such decision)", func() Body { return new(WhitelistState) }},
		{KindParamsState, 1, "the policy parameters the decisions that name their hash read (decision service, once per parameters)", func() Body { return new(ParamsState) }},
		{KindDecisionCancel, 1, "an allowed decision cancelled by the custody node before signing began; its claims released", func() Body { return new(DecisionCancel) }},
		{KindDecisionRevoke, 1, "an allowed decision revoked (by an admin, or by the re-check at signing, which it then carries)", func() Body { return new(DecisionRevoke) }},
		{KindDecisionRevoke, 2, "an allowed decision revoked; a re-check at signing it carries names the whitelist and parameters by hash", func() Body { return new(DecisionRevokeV2) }},
		{KindDecisionExpire, 1, "an allowed decision expired (decision_ttl passed before signing began)", func() Body { return new(DecisionExpire) }},
		{KindDecisionBegin, 1, "signing began: the re-check at that moment allowed the decision again", func() Body { return new(DecisionBegin) }},
		{KindDecisionBegin, 2, "signing began; the re-check names the whitelist and parameters it read by hash (whitelist_state, params_state earlier in the log)", func() Body { return new(DecisionBeginV2) }},
		{KindSignature, 1, "one input's threshold-ECDSA signature, verified against the wallet key over the sighash policyd computed", func() Body { return new(Signature) }},
		{KindAllowanceUsed, 1, "an allowed decision consumed a plan-redemption allowance", func() Body { return new(AllowanceUsed) }},
		{KindStartup, 1, "policyd started: hashes of its configuration and policy parameters", func() Body { return new(Startup) }},
		{KindKeygen, 1, "a key-generation ceremony completed and confirmed", func() Body { return new(Keygen) }},
		{KindReshare, 1, "a resharing ceremony completed and confirmed", func() Body { return new(Reshare) }},
		{KindWhitelistProposal, 1, "a whitelist (or unfreeze, allowance) proposal, signed by its proposer", func() Body { return new(WhitelistProposal) }},
		{KindWhitelistApproval, 1, "a security admin's approval of a proposal (renewing an expired one, if Renews is set)", func() Body { return new(WhitelistApproval) }},
		{KindWhitelistRejection, 1, "a proposal rejected by a Bitlayer admin", func() Body { return new(WhitelistRejection) }},
		{KindWhitelistActivation, 1, "a whitelist change executed (add: active from effective_at; remove; bootstrap)", func() Body { return new(WhitelistActivation) }},
		{KindFreeze, 1, "signing frozen by a Bitlayer admin", func() Body { return new(Freeze) }},
		{KindUnfreeze, 1, "signing unfrozen by a quorum of security admins", func() Body { return new(Unfreeze) }},
		{KindAllowanceOpen, 1, "a plan-redemption allowance opened by a quorum", func() Body { return new(AllowanceOpen) }},
		{KindSystemFreeze, 1, "policyd froze signing itself on evidence (or recorded the alarm while already frozen)", func() Body { return new(SystemFreeze) }},
		{KindDecisionRevokeRequest, 1, "an admin's signed request to revoke a decision, authenticated", func() Body { return new(DecisionRevokeRequest) }},
		{KindUnexplainedSpend, 1, "a wallet spend on L1 no decision explains: signing froze and its reqIds were claimed paid (same transaction)", func() Body { return new(UnexplainedSpend) }},
		{KindClaimStage, 1, "a reqId's claim moved along its transaction's L1 stage (signed, broadcast, confirmed), to approved (L2) or to released (its RBF family conflicted N deep)", func() Body { return new(ClaimStage) }},
		{KindMuSigKey, 1, "the MuSig2 staker key: the custody node's and policyd's public keys and their aggregate (babylon/cosign)", func() Body { return new(MuSigKey) }},
		{KindMuSigDecision, 1, "a co-signing request with the staker key allowed or denied: the transaction, the stake and the messages policyd computed", func() Body { return new(MuSigDecision) }},
		{KindMuSigSignature, 1, "one MuSig2 signature by the staker key: nonces, verified partial signatures, the BIP340 signature (same transaction as the input marked signed)", func() Body { return new(MuSigSignature) }},
		{KindReserves, 1, "the reserves at an L1 block: held on L1 against owed on L2, and the deficit (decision service, every l1.reserves_every blocks)", func() Body { return new(Reserves) }},
	}
}

// Lookup returns the schema of (kind, version).
func Lookup(kind string, version int) (Schema, bool) {
	s, ok := registry[kindVersion{kind, version}]
	return s, ok
}

type kindVersion struct {
	kind    string
	version int
}

// registry indexes schemas() once; it is only read afterwards, so lookups
// are safe from any number of goroutines (parallel verification).
var registry = func() map[kindVersion]Schema {
	m := make(map[kindVersion]Schema)
	for _, s := range schemas() {
		m[kindVersion{s.Kind, s.Version}] = s
	}
	return m
}()

// Decode decodes body as the registered type of (kind, version): unknown
// fields are refused, trailing data is refused, and the type's Validate
// runs. It does not check the canonical form (package audit does, by
// re-encoding the result).
func Decode(kind string, version int, body []byte) (Body, error) {
	s, ok := Lookup(kind, version)
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d", ErrUnknownKind, kind, version)
	}
	b := s.New()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(b); err != nil {
		return nil, fmt.Errorf("%w: %s v%d: %v", ErrInvalid, kind, version, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: %s v%d: trailing data", ErrInvalid, kind, version)
	}
	if err := Validate(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Validate runs b's own checks, if it has any.
func Validate(b Body) error {
	if v, ok := b.(Validator); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("%w: %s v%d: %v", ErrInvalid, b.Kind(), b.Version(), err)
		}
	}
	return nil
}

// required fails naming the first empty field of pairs (name, value).
func required(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			return fmt.Errorf("%s is required", pairs[i])
		}
	}
	return nil
}
