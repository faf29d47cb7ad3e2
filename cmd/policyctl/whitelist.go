package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/tlsutil"
)

const whitelistUsage = `usage: policyctl whitelist <subcommand> [flags]

reads (bearer token of a reader or auditor):
  list                       every whitelist entry, active or timelocked
  proposals [--status S]     proposals: pending|executed|rejected|expired
  freeze-state               the freeze state and epoch
  allowances                 plan-redemption allowances

signed writes (EIP-712, key from --keystore and --password-file):
  propose --action add|remove --kind K --address A [--label L]
  propose --action allowance --plan P --amount-sat N --address BRIDGE
  approve --id ID [--yes]    show the decoded proposal, ask, approve (Bitlayer
                             security admin); renews your approval if it expired
  reject --id ID [--reason R]
  freeze [--reason R] [--epoch N]  freeze all signing (one Bitlayer admin;
                             no reader token needed)
  unfreeze                   propose an unfreeze (needs the quorum)
  revoke --id DECISION [--reason R]  revoke a live decision that has not
                             begun signing (one Bitlayer admin); its claims
                             are released, the revocation is audited

common flags: --server URL --ca FILE [--cert FILE --key FILE] [--token T]
  [--chain-id N --wallet-id W: refuse to sign unless the server's domain matches]
  [--ttl D: signature lifetime; default 72h for propose, unfreeze and approve
   (an approval never outlives its proposal), 15m for reject and freeze]
`

type wlFlags struct {
	fs                        *flag.FlagSet
	server, ca, cert, key     *string
	token, keystore, password *string
	chainID                   *int64
	walletID                  *string
	ttl                       *time.Duration
	id, status, reason        *string
	action, kind, address     *string
	label, plan               *string
	amount                    *int64
	yes                       *bool
	epoch                     *int64
	in                        io.Reader // answers to the confirmation prompt
	prompt                    io.Writer // where the proposal and the prompt go
}

func newWLFlags(name string, stderr io.Writer) *wlFlags {
	fs := flag.NewFlagSet("policyctl whitelist "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &wlFlags{fs: fs,
		server:   fs.String("server", "https://127.0.0.1:8443", "policyd base URL"),
		ca:       fs.String("ca", "", "PEM CA certificate that signed the server's certificate"),
		cert:     fs.String("cert", "", "client certificate (optional)"),
		key:      fs.String("key", "", "client key (optional)"),
		token:    fs.String("token", "", "bearer token for reads (or env POLICYCTL_TOKEN)"),
		keystore: fs.String("keystore", "", "Ethereum keystore JSON file of the signing admin"),
		password: fs.String("password-file", "", "file holding the keystore password (else $POLICYCTL_KEYSTORE_PASSWORD, else asked on the terminal)"),
		chainID:  fs.Int64("chain-id", 0, "expected chain id (200901 mainnet, 200810 testnet); 0 = no check"),
		walletID: fs.String("wallet-id", "", "expected dedicated wallet id; empty = no check"),
		ttl:      fs.Duration("ttl", 0, "signature lifetime; 0 = 72h for propose/unfreeze/approve, 15m for reject/freeze"),
		id:       fs.String("id", "", "proposal id"),
		status:   fs.String("status", "", "proposal status filter"),
		reason:   fs.String("reason", "", "reason (reject, freeze, revoke)"),
		action:   fs.String("action", "", "add, remove or allowance"),
		kind:     fs.String("kind", "", "entry kind, e.g. bridge_hot_wallet"),
		address:  fs.String("address", "", "Bitcoin address, or hex public key for key kinds"),
		label:    fs.String("label", "", "entry label"),
		plan:     fs.String("plan", "", "plan id (allowance)"),
		amount:   fs.Int64("amount-sat", 0, "amount in sat (allowance)"),
		yes:      fs.Bool("yes", false, "approve without showing the proposal and asking"),
		epoch:    fs.Int64("epoch", -1, "freeze epoch to sign for; -1 = read it (token) or learn it from the server"),
		in:       os.Stdin, prompt: stderr,
	}
}

func (f *wlFlags) client() (*client.Client, error) {
	cfg, err := tlsutil.ClientConfig(*f.ca, *f.cert, *f.key)
	if err != nil {
		return nil, err
	}
	if *f.ca == "" {
		cfg = &tls.Config{MinVersion: tls.VersionTLS13} // system roots
	}
	*f.token = bearerToken(*f.token)
	return client.New(*f.server, client.WithToken(*f.token),
		client.WithHTTPClient(&http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}))
}

func (f *wlFlags) signingKey() (*ecdsa.PrivateKey, error) {
	if *f.keystore == "" {
		return nil, fmt.Errorf("%w: --keystore is required to sign", errUsage)
	}
	ks, err := os.ReadFile(*f.keystore)
	if err != nil {
		return nil, err
	}
	pw, err := cli.Secret(*f.password, "POLICYCTL_KEYSTORE_PASSWORD", "keystore password for "+*f.keystore+": ", f.prompt)
	if err != nil {
		return nil, fmt.Errorf("keystore password (--password-file, $POLICYCTL_KEYSTORE_PASSWORD or a terminal): %w", err)
	}
	k, err := keystore.DecryptKey(ks, pw)
	if err != nil {
		return nil, fmt.Errorf("decrypt keystore: %w", err)
	}
	return k.PrivateKey, nil
}

// domainInfo is the public GET /v1/governance/domain answer.
type domainInfo = api.DomainInfo

// domain fetches the server's EIP-712 domain and checks it against the pins.
func (f *wlFlags) domain(c *client.Client) (domainInfo, error) {
	i, err := c.Domain(context.Background())
	if err != nil {
		return domainInfo{}, err
	}
	info := *i
	d := info.Domain
	if *f.chainID != 0 && d.ChainID != *f.chainID {
		return info, fmt.Errorf("server's chain id %d is not the expected %d: not signing", d.ChainID, *f.chainID)
	}
	if *f.walletID != "" && d.WalletID != *f.walletID {
		return info, fmt.Errorf("server's wallet id %q is not the expected %q: not signing", d.WalletID, *f.walletID)
	}
	return info, nil
}

func randomNonce() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func runWhitelist(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, whitelistUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	f := newWLFlags(sub, stderr)
	if err := f.fs.Parse(args[1:]); err != nil {
		return 2
	}
	c, err := f.client()
	if err != nil {
		fmt.Fprintln(stderr, "policyctl whitelist:", err)
		return 2
	}
	out, err := whitelistCmd(sub, f, c)
	if errors.Is(err, errUsage) {
		fmt.Fprintln(stderr, "policyctl whitelist:", err)
		fmt.Fprint(stderr, whitelistUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "policyctl whitelist "+sub+":", err)
		return 1
	}
	if _, err := stdout.Write(append(out, '\n')); err != nil {
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// whitelistCmd runs sub and returns the server's answer as indented JSON.
func whitelistCmd(sub string, f *wlFlags, c *client.Client) ([]byte, error) {
	v, err := whitelistAnswer(sub, f, c)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(v, "", "  ")
}

func whitelistAnswer(sub string, f *wlFlags, c *client.Client) (any, error) {
	ctx := context.Background()
	switch sub {
	case "list":
		return c.Whitelist(ctx)
	case "proposals":
		return c.Proposals(ctx, *f.status)
	case "freeze-state":
		return c.FreezeState(ctx)
	case "allowances":
		return c.Allowances(ctx)
	case "propose", "approve", "reject", "freeze", "unfreeze", "revoke":
	default:
		return nil, fmt.Errorf("%w: unknown subcommand %q", errUsage, sub)
	}
	key, err := f.signingKey()
	if err != nil {
		return nil, err
	}
	info, err := f.domain(c)
	if err != nil {
		return nil, err
	}
	d := info.Domain
	expiry := time.Now().Add(f.signatureTTL(sub)).Unix()
	switch sub {
	case "propose", "unfreeze":
		p := governance.ProposalContent{Nonce: randomNonce(), Expiry: expiry}
		if sub == "unfreeze" {
			p.Action = governance.ActionUnfreeze
			fs, err := c.FreezeState(ctx)
			if err != nil {
				return nil, fmt.Errorf("read freeze epoch: %w", err)
			}
			p.FreezeEpoch = fs.Epoch
		} else {
			switch *f.action {
			case "add":
				p.Action, p.EntryKind, p.Address, p.Label = governance.ActionAdd, *f.kind, *f.address, *f.label
			case "remove":
				p.Action, p.EntryKind, p.Address = governance.ActionRemove, *f.kind, *f.address
			case "allowance":
				p.Action, p.PlanID, p.AmountSat, p.Address = governance.ActionAllowance, *f.plan, *f.amount, *f.address
			default:
				return nil, fmt.Errorf("%w: --action must be add, remove or allowance", errUsage)
			}
		}
		sig, err := governance.SignTypedData(governance.ProposalTypedData(d, p), key)
		if err != nil {
			return nil, err
		}
		return c.Propose(ctx, governance.SignedProposal{Proposal: p, Signature: sig})
	case "approve":
		if *f.id == "" {
			return nil, fmt.Errorf("%w: --id is required", errUsage)
		}
		if expiry, err = f.reviewApproval(c, info, expiry); err != nil {
			return nil, err
		}
		sig, err := governance.SignTypedData(governance.ApprovalTypedData(d, *f.id, expiry), key)
		if err != nil {
			return nil, err
		}
		return c.Approve(ctx, *f.id, governance.Approval{Expiry: expiry, Signature: sig})
	case "reject":
		if *f.id == "" {
			return nil, fmt.Errorf("%w: --id is required", errUsage)
		}
		sig, err := governance.SignTypedData(governance.RejectionTypedData(d, *f.id, *f.reason, expiry), key)
		if err != nil {
			return nil, err
		}
		return c.Reject(ctx, *f.id, governance.Rejection{Reason: *f.reason, Expiry: expiry, Signature: sig})
	case "revoke":
		if *f.id == "" {
			return nil, fmt.Errorf("%w: --id (the decision id) is required", errUsage)
		}
		nonce := randomNonce()
		sig, err := governance.SignTypedData(governance.RevokeTypedData(d, *f.id, *f.reason, nonce, expiry), key)
		if err != nil {
			return nil, err
		}
		return c.Revoke(ctx, governance.RevokeRequest{DecisionID: *f.id, Reason: *f.reason, Nonce: nonce, Expiry: expiry, Signature: sig})
	default: // freeze
		return f.freeze(c, d, key, expiry)
	}
}

// signatureTTL is --ttl, or the default lifetime for sub (see governance's
// Default*TTL: proposals and approvals must outlast the time the admins need
// to reach quorum; freeze and reject act at once).
func (f *wlFlags) signatureTTL(sub string) time.Duration {
	if *f.ttl > 0 {
		return *f.ttl
	}
	switch sub {
	case "propose", "unfreeze":
		return governance.DefaultProposalTTL
	case "approve":
		return governance.DefaultApprovalTTL
	default:
		return governance.DefaultActionTTL
	}
}

// reviewApproval fetches the proposal --id, checks that its content is what
// the id commits to (the id is the content's EIP-712 digest under the
// server's domain, so the server cannot show one thing and collect an
// approval for another), shows it and asks before signing (unless --yes). It
// returns the approval's expiry, capped at the proposal's: an approval
// cannot count after its proposal expired.
func (f *wlFlags) reviewApproval(c *client.Client, info domainInfo, expiry int64) (int64, error) {
	pp, err := c.Proposal(context.Background(), *f.id)
	if err != nil {
		return 0, fmt.Errorf("read the proposal to show it (a reader token is needed): %w", err)
	}
	p := *pp
	digest, err := governance.Digest(governance.ProposalTypedData(info.Domain, p.Content))
	if err != nil || p.ID != *f.id || "0x"+hex.EncodeToString(digest) != *f.id {
		return 0, errors.New("the server's proposal does not hash to --id under its domain: not signing")
	}
	now := time.Now()
	if p.Content.Expiry > now.Unix() && expiry > p.Content.Expiry {
		expiry = p.Content.Expiry
	}
	renderProposal(f.prompt, p, info, now)
	fmt.Fprintf(f.prompt, "your approval expires   %s\n", time.Unix(expiry, 0).UTC().Format(time.RFC3339))
	if *f.yes {
		return expiry, nil
	}
	if !confirm(f.in, f.prompt, "Sign this approval?") {
		return 0, errors.New("not confirmed: nothing signed (--yes signs without asking)")
	}
	return expiry, nil
}

// renderProposal writes what an admin approves, decoded: action and its
// fields, when it takes effect, the approvals so far and the expiry.
func renderProposal(w io.Writer, p governance.Proposal, info domainInfo, now time.Time) {
	c := p.Content
	ts := func(sec int64) string { return time.Unix(sec, 0).UTC().Format(time.RFC3339) }
	fmt.Fprintf(w, "proposal                %s\n", safe(p.ID))
	fmt.Fprintf(w, "status                  %s\n", safe(p.Status))
	fmt.Fprintf(w, "action                  %s\n", safe(c.Action))
	switch c.Action {
	case governance.ActionAdd, governance.ActionRemove:
		fmt.Fprintf(w, "kind                    %s\n", safe(c.EntryKind))
		fmt.Fprintf(w, "address                 %s\n", safe(c.Address))
		if c.Action == governance.ActionAdd {
			fmt.Fprintf(w, "label                   %q\n", c.Label)
		}
	case governance.ActionAllowance:
		fmt.Fprintf(w, "plan                    %q\n", c.PlanID)
		fmt.Fprintf(w, "amount                  %d sat (%s BTC)\n", c.AmountSat, btcString(c.AmountSat))
		fmt.Fprintf(w, "address                 %s\n", safe(c.Address))
	case governance.ActionUnfreeze:
		fmt.Fprintf(w, "freeze epoch            %d\n", c.FreezeEpoch)
	}
	effect := "at quorum"
	if c.Action == governance.ActionAdd && info.TimelockSeconds > 0 {
		effect = fmt.Sprintf("%s after quorum (timelock)", time.Duration(info.TimelockSeconds)*time.Second)
	}
	if p.EffectiveAt != nil {
		effect = p.EffectiveAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(w, "takes effect            %s\n", effect)
	fmt.Fprintf(w, "proposer                %s\n", safe(p.Proposer))
	live := 0
	for _, a := range p.Approvals {
		if a.Expiry > now.Unix() {
			live++
		}
	}
	fmt.Fprintf(w, "approvals               %d live of %d needed (%d admins)\n", live, info.Quorum, info.Admins)
	for _, a := range p.Approvals {
		state := "live until"
		if a.Expiry <= now.Unix() {
			state = "EXPIRED at"
		}
		fmt.Fprintf(w, "  %s  %s %s\n", safe(a.Signer), state, ts(a.Expiry))
	}
	fmt.Fprintf(w, "proposal expires        %s\n", ts(c.Expiry))
}

// safe shows s as is when it is printable ASCII, quoted otherwise: what the
// server sends cannot move the cursor or hide text on the admin's terminal.
func safe(s string) string {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return strconv.QuoteToASCII(s)
		}
	}
	return s
}

func btcString(sat int64) string {
	return fmt.Sprintf("%d.%08d", sat/100_000_000, sat%100_000_000)
}

// confirm asks question on w and reads one answer line from in: only y or yes
// confirms; anything else, or no answer at all, declines.
func confirm(in io.Reader, w io.Writer, question string) bool {
	fmt.Fprintf(w, "%s [y/N] ", question)
	line, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	fmt.Fprintln(w)
	return false
}

// freeze signs and sends a freeze. The signature names the freeze epoch. With
// --epoch, that one; with a reader token, the one GET /v1/freeze reports;
// with neither, no token is needed: it signs for epoch 0 and, if the server
// answers freeze_epoch_mismatch, once more for the epoch the server names. A
// signature for a past epoch can never be accepted (epochs only grow), so the
// refused first one is harmless.
func (f *wlFlags) freeze(c *client.Client, d governance.Domain, key *ecdsa.PrivateKey, expiry int64) (*governance.FreezeState, error) {
	ctx := context.Background()
	send := func(epoch uint64) (*governance.FreezeState, error) {
		nonce := randomNonce()
		sig, err := governance.SignTypedData(governance.FreezeTypedData(d, *f.reason, epoch, nonce, expiry), key)
		if err != nil {
			return nil, err
		}
		return c.Freeze(ctx, governance.FreezeRequest{Reason: *f.reason, Epoch: epoch, Nonce: nonce, Expiry: expiry, Signature: sig})
	}
	switch {
	case *f.epoch >= 0:
		return send(uint64(*f.epoch))
	case *f.token != "":
		fs, err := c.FreezeState(ctx)
		if err != nil {
			return nil, fmt.Errorf("read freeze epoch: %w", err)
		}
		return send(fs.Epoch)
	}
	out, err := send(0)
	var se *client.Error
	if err == nil || !errors.As(err, &se) || se.Code != "freeze_epoch_mismatch" {
		return out, err
	}
	var epoch uint64
	if _, perr := fmt.Sscanf(se.Message, "freeze epoch is %d", &epoch); perr != nil || epoch == 0 {
		return nil, fmt.Errorf("%w (pass --epoch)", err)
	}
	return send(epoch)
}
