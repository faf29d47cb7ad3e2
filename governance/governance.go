// Package governance keeps the dedicated wallet's whitelist and the emergency
// freeze, and changes them only through EIP-712 signed governance actions:
// proposals (whitelist add/remove, unfreeze, plan-redemption allowances),
// approvals by a quorum k of m Bitlayer security admins, rejections, and a
// single-admin freeze. It also authenticates one admin's request to revoke a
// decision (AuthenticateRevoke, AuthenticateRevokeTx); package decision
// performs the revocation with what that returns.
//
// Every signed action passes one gate, authenticate (auth.go): the signed
// expiry is ahead and within its bound, the signature is a low-S 65-byte
// signature over the EIP-712 digest, and the recovered signer holds the
// action's role. Nothing acts on a signer it did not return.
//
// Trust model: governance trusts its Config (the admin address sets, the
// quorum, the EIP-712 domain, the Bitcoin network, the clock) and the bbolt
// file. It trusts nothing in a request: every write carries a signature whose
// signer is recovered from the EIP-712 digest of data rebuilt here from the
// request's fields and the configured domain (name, version, chain id, and the
// dedicated wallet id as salt), so a signature made for another deployment,
// chain or wallet recovers a different address and is refused.
//
// Guarantees: every change and its audit event (Config.Audit.AppendBody) commit in
// one bbolt transaction, or neither does. A proposal executes at most once
// (bbolt serializes writers and the status is checked inside the writer). An
// addition is active only once quorum was reached AND the timelock has passed;
// removals, unfreezes and allowances take effect at quorum. Reads for the
// policy engine run inside the caller's transaction (Snapshot, Whitelist,
// Frozen, OpenAllowances), and ConsumeAllowance marks an allowance used once.
// Entries are validated here, for the configured network, when proposed and
// again when read for the policy engine (a corrupt entry fails the read).
//
// Files: governance.go (Config, New), types.go, errors.go, auth.go
// (authenticate), eip712.go (typed data, signing, recovery), validate.go
// (entries and fields), store.go (keys, codecs), proposals.go (propose,
// approve, reject, execute, bootstrap), freeze.go, revoke.go, allowances.go,
// views.go (reads).
package governance

import (
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/common"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
)

// Appender is the audit log as governance uses it: AppendBody adds one
// typed record inside the caller's transaction. package audit's *Log
// implements it.
type Appender interface {
	AppendBody(tx *bolt.Tx, at time.Time, body records.Body) (uint64, error)
}

// DB is the store as governance uses it; *storage.DB implements it.
type DB interface {
	Update(fn func(*bolt.Tx) error) error
	View(fn func(*bolt.Tx) error) error
}

// DefaultTimelock is the delay between quorum and activation of an addition.
const DefaultTimelock = 24 * time.Hour

// Default signature lifetimes, for clients (policyctl uses them when --ttl is
// not given). A proposal must reach quorum before it expires and only live
// approvals count; the timelock starts at quorum, so it does not have to fit
// inside them. Three days give k admins in different time zones a full
// working day each, with room for a weekend day, and stay well within
// MaxProposalTTL / MaxSignatureTTL. Freeze, reject and revoke act at once, so
// their signatures live minutes: a signed but unsent one is soon useless.
const (
	DefaultProposalTTL = 72 * time.Hour
	DefaultApprovalTTL = 72 * time.Hour
	DefaultActionTTL   = 15 * time.Minute
)

// Config configures New.
type Config struct {
	DB    DB
	Audit Appender
	// Net is the Bitcoin network addresses must belong to.
	Net *chaincfg.Params
	// Domain binds every signature to this deployment, chain and wallet.
	Domain Domain
	// BitlayerAdmins are the security admins: they approve (quorum), reject,
	// freeze, and may propose.
	BitlayerAdmins []common.Address
	// ProjectAdmins may propose only.
	ProjectAdmins []common.Address
	// Quorum is k in k-of-len(BitlayerAdmins).
	Quorum int
	// Timelock delays additions after quorum. Zero means DefaultTimelock
	// unless NoTimelock is set (dev mode).
	Timelock   time.Duration
	NoTimelock bool
	// MaxSignatureTTL bounds how far in the future an approval, rejection or
	// freeze may expire (default 7 days); MaxProposalTTL does the same for
	// proposals (default 30 days).
	MaxSignatureTTL time.Duration
	MaxProposalTTL  time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Governance is the whitelist and freeze state machine.
type Governance struct {
	cfg      Config
	bitlayer map[common.Address]bool
	project  map[common.Address]bool
	timelock time.Duration
}

// New validates cfg.
func New(cfg Config) (*Governance, error) {
	if cfg.DB == nil || cfg.Audit == nil || cfg.Net == nil {
		return nil, errors.New("governance: Config needs DB, Audit and Net")
	}
	if cfg.Domain.Name == "" || cfg.Domain.Version == "" || cfg.Domain.ChainID <= 0 || cfg.Domain.WalletID == "" {
		return nil, errors.New("governance: Config.Domain needs name, version, chain id and wallet id")
	}
	g := &Governance{cfg: cfg, bitlayer: map[common.Address]bool{}, project: map[common.Address]bool{}}
	for _, a := range cfg.BitlayerAdmins {
		if a == (common.Address{}) {
			return nil, errors.New("governance: zero Bitlayer admin address")
		}
		g.bitlayer[a] = true
	}
	for _, a := range cfg.ProjectAdmins {
		if a == (common.Address{}) {
			return nil, errors.New("governance: zero project admin address")
		}
		g.project[a] = true
	}
	if len(g.bitlayer) == 0 || cfg.Quorum < 1 || cfg.Quorum > len(g.bitlayer) {
		return nil, fmt.Errorf("governance: quorum %d of %d Bitlayer admins is impossible", cfg.Quorum, len(g.bitlayer))
	}
	g.timelock = cfg.Timelock
	if cfg.NoTimelock {
		g.timelock = 0
	} else if g.timelock == 0 {
		g.timelock = DefaultTimelock
	}
	if g.timelock < 0 {
		return nil, errors.New("governance: negative timelock")
	}
	if g.cfg.MaxSignatureTTL <= 0 {
		g.cfg.MaxSignatureTTL = 7 * 24 * time.Hour
	}
	if g.cfg.MaxProposalTTL <= 0 {
		g.cfg.MaxProposalTTL = 30 * 24 * time.Hour
	}
	if g.cfg.Now == nil {
		g.cfg.Now = time.Now
	}
	return g, nil
}

// Domain is the EIP-712 domain clients must sign for.
func (g *Governance) Domain() Domain { return g.cfg.Domain }

// Quorum returns k and m.
func (g *Governance) Quorum() (k, m int) { return g.cfg.Quorum, len(g.bitlayer) }

// Timelock is the effective addition timelock.
func (g *Governance) Timelock() time.Duration { return g.timelock }

func (g *Governance) now() time.Time { return g.cfg.Now().UTC() }
