package devnet

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"

	"github.com/bitlayer-org/policyd/l2/bindings"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// Manifest tells the dev network's processes where everything is. policyd
// --dev writes it; custody demo --dev, policyctl and the tests read it.
type Manifest struct {
	Network string `json:"network"` // bitcoin network (regtest)

	APIURL            string `json:"api_url"`
	CACert            string `json:"ca_cert"`
	CustodyCert       string `json:"custody_cert"`
	CustodyKey        string `json:"custody_key"`
	CustodyShare      string `json:"custody_share"`
	SharePassphrase   string `json:"share_passphrase"` // dev only
	AuditorToken      string `json:"auditor_token"`    // dev only
	ReaderToken       string `json:"reader_token"`     // dev only
	AuditVerifierKey  string `json:"audit_verifier_key"`
	WalletAddress     string `json:"wallet_address"`
	WalletPubKey      string `json:"wallet_pubkey"`
	BridgeAddress     string `json:"bridge_address"`
	L2RPC             string `json:"l2_rpc"`
	L2ChainID         int64  `json:"l2_chain_id"`
	StakingContract   string `json:"staking_contract"`
	DeployBlock       uint64 `json:"deploy_block"`
	GovernanceChainID int64  `json:"governance_chain_id"`
	WalletID          string `json:"wallet_id"`
	// Keystores maps a dev role (bitlayer-admin-1, governor, user-1, …) to
	// its keystore file, all encrypted with KeystorePassword.
	Keystores        map[string]string `json:"keystores"`
	KeystorePassword string            `json:"keystore_password"`

	// The dev Bitcoin node (btcd --regtest, a child of policyd --dev):
	// JSON-RPC over TLS at BtcdRPC (host:port) with the certificate in
	// BtcdCert; its coinbases pay WalletAddress. L1Confirmations is the
	// depth policyd's L1 view takes as final.
	BtcdRPC         string `json:"btcd_rpc"`
	BtcdCert        string `json:"btcd_cert"`
	BtcdUser        string `json:"btcd_user"`
	BtcdPass        string `json:"btcd_pass"` // dev only
	BtcdPassFile    string `json:"btcd_pass_file"`
	L1Confirmations uint64 `json:"l1_confirmations"`

	// Babylon staking (policyd --dev): the parameters file policyd
	// judges stakes by, the custody node's sealed MuSig2 key (share
	// passphrase), the staker key (x-only MuSig2 aggregate), the
	// whitelisted finality provider (compressed, hex) and the project's
	// staking time.
	BabylonParams    string `json:"babylon_params,omitempty"`
	CustodyMuSigKey  string `json:"custody_musig_key,omitempty"`
	StakerKey        string `json:"staker_key,omitempty"`
	FinalityProvider string `json:"finality_provider,omitempty"`
	StakingTime      uint16 `json:"staking_time,omitempty"`
}

// ManifestFile is the manifest's name inside the dev directory.
const ManifestFile = "dev.json"

// WriteManifest writes m into dir atomically.
func WriteManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ManifestFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, ManifestFile))
}

// ReadManifest reads the manifest of the dev directory dir.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("devnet manifest (is `policyd --dev` running?): %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("devnet manifest: %w", err)
	}
	return &m, nil
}

// Env is a prepared dev environment: both chains run, the contract is
// deployed, the wallet is funded on L1, key material and certificates are
// on disk.
type Env struct {
	Dir      string
	L1       *L1
	L2       *L2
	Manifest *Manifest
	TLS      *tlsutil.DevFiles
	// ShareFile and PassphraseFile hold policyd's fixture key share.
	ShareFile      string
	PassphraseFile string
}

// Close stops both chains.
func (e *Env) Close() error {
	e.L1.Close()
	return e.L2.Close()
}

// DevWalletID names the dev dedicated wallet in governance signatures.
const DevWalletID = "devnet-dedicated-wallet"

// DevAuditorToken and DevReaderToken are the dev bearer tokens.
const (
	DevAuditorToken = "dev-auditor-token"
	DevReaderToken  = "dev-reader-token"
)

// Setup prepares dir for a fresh dev run: certificates (kept across runs),
// the fixture key shares, dev keystores, a new embedded chain listening on
// l2Listen with the staking contract deployed, and a new btcd regtest chain
// mined to the dedicated wallet (StartL1; progress gets its one line if
// btcd must be built first). The manifest is completed and written by the
// caller once the API listens; on error nothing keeps running.
func Setup(ctx context.Context, dir, l2Listen string, progress io.Writer) (env *Env, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tlsFiles, err := tlsutil.DevCA(filepath.Join(dir, "tls"))
	if err != nil {
		return nil, fmt.Errorf("dev tls: %w", err)
	}
	env = &Env{Dir: dir, TLS: tlsFiles}

	// Key shares: the committed fixtures are already age-encrypted with the
	// published dev passphrase.
	env.ShareFile = filepath.Join(dir, "policyd-share.age")
	env.PassphraseFile = filepath.Join(dir, "share.pass")
	custodyShare := filepath.Join(dir, "custody-share.age")
	for party, path := range map[string]string{"policyd": env.ShareFile, "custody": custodyShare} {
		b, err := tssfixtures.Share(party)
		if err != nil {
			return nil, fmt.Errorf("fixture share %s: %w", party, err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(env.PassphraseFile, []byte(tssfixtures.DevPassphrase+"\n"), 0o600); err != nil {
		return nil, err
	}
	w, err := tssfixtures.WalletInfo()
	if err != nil {
		return nil, err
	}

	// btcd starts and mines (seconds) while the keystores are written and
	// the L2 side comes up.
	type l1Result struct {
		l1  *L1
		err error
	}
	l1Done := make(chan l1Result, 1)
	go func() {
		l1, err := StartL1(ctx, dir, w.AddressRegtest, progress)
		l1Done <- l1Result{l1, err}
	}()
	var r l1Result
	waited := false
	waitL1 := func() l1Result {
		if !waited {
			r, waited = <-l1Done, true
		}
		return r
	}
	defer func() {
		if err != nil { // whatever failed, btcd does not outlive Setup
			waitL1().l1.Close()
		}
	}()

	ks, err := writeKeystores(filepath.Join(dir, "keystores"))
	if err != nil {
		return nil, err
	}

	l2, err := StartL2(L2Config{Listen: l2Listen, Alloc: DefaultAlloc(), BlockInterval: time.Second})
	if err != nil {
		return nil, err
	}
	contract, block, err := deployStakingPool(ctx, l2)
	if err != nil {
		l2.Close()
		return nil, fmt.Errorf("deploy staking contract: %w", err)
	}
	if err = waitL1().err; err != nil {
		l2.Close()
		return nil, err
	}
	env.L1, env.L2 = r.l1, l2
	node := r.l1.Node

	env.Manifest = &Manifest{
		Network:           "regtest",
		CACert:            tlsFiles.CACert,
		CustodyCert:       tlsFiles.ClientCert,
		CustodyKey:        tlsFiles.ClientKey,
		CustodyShare:      custodyShare,
		SharePassphrase:   tssfixtures.DevPassphrase,
		AuditorToken:      DevAuditorToken,
		ReaderToken:       DevReaderToken,
		WalletAddress:     w.AddressRegtest,
		WalletPubKey:      w.PubKey,
		BridgeAddress:     BridgeAddress(&chaincfg.RegressionNetParams),
		L2RPC:             l2.URL,
		L2ChainID:         l2.ChainID.Int64(),
		StakingContract:   contract.Hex(),
		DeployBlock:       block,
		GovernanceChainID: l2.ChainID.Int64(),
		WalletID:          DevWalletID,
		Keystores:         ks,
		KeystorePassword:  KeystorePassword,
		BtcdRPC:           node.RPCAddr(),
		BtcdCert:          node.CertPath(),
		BtcdUser:          node.User(),
		BtcdPass:          node.Pass(),
		BtcdPassFile:      r.l1.PassFile,
		L1Confirmations:   L1Confirmations,
	}
	return env, nil
}

// devRoles get a keystore file each.
func devRoles() []string {
	roles := []string{RoleGovernor, RoleRelayer, RoleProject}
	for i := 1; i <= 3; i++ {
		roles = append(roles, BitlayerAdmin(i), User(i))
	}
	return roles
}

func writeKeystores(dir string) (map[string]string, error) {
	out := map[string]string{}
	for _, role := range devRoles() {
		rd := filepath.Join(dir, role)
		ks := keystore.NewKeyStore(rd, keystore.LightScryptN, keystore.LightScryptP)
		addr := Address(role)
		if !ks.HasAddress(addr) {
			if _, err := ks.ImportECDSA(Key(role), KeystorePassword); err != nil {
				return nil, fmt.Errorf("keystore %s: %w", role, err)
			}
		}
		acc, err := ks.Find(accounts.Account{Address: addr})
		if err != nil {
			return nil, fmt.Errorf("keystore %s: %w", role, err)
		}
		out[role] = acc.URL.Path
	}
	return out, nil
}

// Transactor signs L2 transactions as the dev role.
func Transactor(role string, chainID *big.Int) *bind.TransactOpts {
	return bind.NewKeyedTransactor(Key(role), chainID)
}

func deployStakingPool(ctx context.Context, l *L2) (common.Address, uint64, error) {
	c := l.Backend.Client()
	auth := Transactor(RoleGovernor, l.ChainID)
	addr, tx, _, err := bindings.DeployStakingPool(auth, c, Address(RoleGovernor))
	if err != nil {
		return common.Address{}, 0, err
	}
	l.Commit()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rcpt, err := bind.WaitMined(rctx, c, tx.Hash())
	if err != nil {
		return common.Address{}, 0, err
	}
	if rcpt.Status != 1 {
		return common.Address{}, 0, errors.New("deployment reverted")
	}
	return addr, rcpt.BlockNumber.Uint64(), nil
}

// BridgeKey is the dev bridge hot wallet's Bitcoin key (the relayer's side;
// policyd never holds it).
func BridgeKey() *btcec.PrivateKey {
	h := sha256.Sum256([]byte("policyd-devnet/bridge-hot-wallet"))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// BridgeAddress is the dev bridge hot wallet's P2WPKH address on net.
func BridgeAddress(net *chaincfg.Params) string {
	a, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(BridgeKey().PubKey().SerializeCompressed()), net)
	if err != nil {
		panic(err) // a 20-byte hash always makes an address
	}
	return a.EncodeAddress()
}
