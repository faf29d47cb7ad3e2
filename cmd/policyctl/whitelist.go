package main

import (
	"bytes"
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
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"

	"github.com/bitlayer-org/policyd/governance"
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
  approve --id ID            approve a proposal (Bitlayer security admin)
  reject --id ID [--reason R]
  freeze [--reason R]        freeze all signing (one Bitlayer admin)
  unfreeze                   propose an unfreeze (needs the quorum)

common flags: --server URL --ca FILE [--cert FILE --key FILE] [--token T]
  [--chain-id N --wallet-id W: refuse to sign unless the server's domain matches]
`

type wlClient struct {
	server string
	token  string
	http   *http.Client
}

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
}

func newWLFlags(name string, stderr io.Writer) *wlFlags {
	fs := flag.NewFlagSet("policyctl whitelist "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &wlFlags{fs: fs,
		server:   fs.String("server", "https://127.0.0.1:8443", "policyd base URL"),
		ca:       fs.String("ca", "", "PEM CA certificate that signed the server's certificate"),
		cert:     fs.String("cert", "", "client certificate (optional)"),
		key:      fs.String("key", "", "client key (optional)"),
		token:    fs.String("token", os.Getenv("POLICYD_TOKEN"), "bearer token for reads (default $POLICYD_TOKEN)"),
		keystore: fs.String("keystore", "", "Ethereum keystore JSON file of the signing admin"),
		password: fs.String("password-file", "", "file holding the keystore password"),
		chainID:  fs.Int64("chain-id", 0, "expected chain id (200901 mainnet, 200810 testnet); 0 = no check"),
		walletID: fs.String("wallet-id", "", "expected dedicated wallet id; empty = no check"),
		ttl:      fs.Duration("ttl", time.Hour, "signature lifetime (proposals: time to reach quorum)"),
		id:       fs.String("id", "", "proposal id"),
		status:   fs.String("status", "", "proposal status filter"),
		reason:   fs.String("reason", "", "reason (reject, freeze)"),
		action:   fs.String("action", "", "add, remove or allowance"),
		kind:     fs.String("kind", "", "entry kind, e.g. bridge_hot_wallet"),
		address:  fs.String("address", "", "Bitcoin address, or hex public key for key kinds"),
		label:    fs.String("label", "", "entry label"),
		plan:     fs.String("plan", "", "plan id (allowance)"),
		amount:   fs.Int64("amount-sat", 0, "amount in sat (allowance)"),
	}
}

func (f *wlFlags) client() (*wlClient, error) {
	cfg, err := tlsutil.ClientConfig(*f.ca, *f.cert, *f.key)
	if err != nil {
		return nil, err
	}
	if *f.ca == "" {
		cfg = &tls.Config{MinVersion: tls.VersionTLS13} // system roots
	}
	if _, err := url.Parse(*f.server); err != nil || !strings.HasPrefix(*f.server, "https://") {
		return nil, errors.New("--server must be an https:// URL")
	}
	return &wlClient{server: strings.TrimRight(*f.server, "/"), token: *f.token,
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}}, nil
}

// do sends a request and returns the body of a 2xx answer; otherwise the
// server's error code and message.
func (c *wlClient) do(method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.server+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" && method == http.MethodGet {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
			return nil, fmt.Errorf("server refused (%d %s): %s", resp.StatusCode, e.Error.Code, e.Error.Message)
		}
		return nil, fmt.Errorf("server answered %d", resp.StatusCode)
	}
	return b, nil
}

func (f *wlFlags) signingKey() (*ecdsa.PrivateKey, error) {
	if *f.keystore == "" || *f.password == "" {
		return nil, errors.New("--keystore and --password-file are required to sign")
	}
	ks, err := os.ReadFile(*f.keystore)
	if err != nil {
		return nil, err
	}
	pw, err := os.ReadFile(*f.password)
	if err != nil {
		return nil, err
	}
	k, err := keystore.DecryptKey(ks, strings.TrimRight(string(pw), "\r\n"))
	if err != nil {
		return nil, fmt.Errorf("decrypt keystore: %w", err)
	}
	return k.PrivateKey, nil
}

// domain fetches the server's EIP-712 domain and checks it against the pins.
func (f *wlFlags) domain(c *wlClient) (governance.Domain, error) {
	b, err := c.do(http.MethodGet, "/v1/governance/domain", nil)
	if err != nil {
		return governance.Domain{}, err
	}
	var info struct {
		Domain governance.Domain `json:"domain"`
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return governance.Domain{}, err
	}
	d := info.Domain
	if *f.chainID != 0 && d.ChainID != *f.chainID {
		return d, fmt.Errorf("server's chain id %d is not the expected %d: not signing", d.ChainID, *f.chainID)
	}
	if *f.walletID != "" && d.WalletID != *f.walletID {
		return d, fmt.Errorf("server's wallet id %q is not the expected %q: not signing", d.WalletID, *f.walletID)
	}
	return d, nil
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
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") == nil {
		out = append(bytes.TrimSpace(pretty.Bytes()), '\n')
	}
	stdout.Write(out)
	return 0
}

var errUsage = errors.New("usage")

func whitelistCmd(sub string, f *wlFlags, c *wlClient) ([]byte, error) {
	switch sub {
	case "list":
		return c.do(http.MethodGet, "/v1/whitelist", nil)
	case "proposals":
		q := ""
		if *f.status != "" {
			q = "?status=" + url.QueryEscape(*f.status)
		}
		return c.do(http.MethodGet, "/v1/whitelist/proposals"+q, nil)
	case "freeze-state":
		return c.do(http.MethodGet, "/v1/freeze", nil)
	case "allowances":
		return c.do(http.MethodGet, "/v1/allowances", nil)
	case "propose", "approve", "reject", "freeze", "unfreeze":
	default:
		return nil, fmt.Errorf("%w: unknown subcommand %q", errUsage, sub)
	}
	key, err := f.signingKey()
	if err != nil {
		return nil, err
	}
	d, err := f.domain(c)
	if err != nil {
		return nil, err
	}
	expiry := time.Now().Add(*f.ttl).Unix()
	switch sub {
	case "propose", "unfreeze":
		p := governance.ProposalContent{Nonce: randomNonce(), Expiry: expiry}
		if sub == "unfreeze" {
			p.Action = governance.ActionUnfreeze
			b, err := c.do(http.MethodGet, "/v1/freeze", nil)
			if err != nil {
				return nil, fmt.Errorf("read freeze epoch: %w", err)
			}
			var fs governance.FreezeState
			if err := json.Unmarshal(b, &fs); err != nil {
				return nil, err
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
		return c.do(http.MethodPost, "/v1/whitelist/proposals", governance.SignedProposal{Proposal: p, Signature: sig})
	case "approve":
		if *f.id == "" {
			return nil, fmt.Errorf("%w: --id is required", errUsage)
		}
		sig, err := governance.SignTypedData(governance.ApprovalTypedData(d, *f.id, expiry), key)
		if err != nil {
			return nil, err
		}
		return c.do(http.MethodPost, "/v1/whitelist/proposals/"+url.PathEscape(*f.id)+"/approve", governance.Approval{Expiry: expiry, Signature: sig})
	case "reject":
		if *f.id == "" {
			return nil, fmt.Errorf("%w: --id is required", errUsage)
		}
		sig, err := governance.SignTypedData(governance.RejectionTypedData(d, *f.id, *f.reason, expiry), key)
		if err != nil {
			return nil, err
		}
		return c.do(http.MethodPost, "/v1/whitelist/proposals/"+url.PathEscape(*f.id)+"/reject", governance.Rejection{Reason: *f.reason, Expiry: expiry, Signature: sig})
	default: // freeze
		b, err := c.do(http.MethodGet, "/v1/freeze", nil)
		if err != nil {
			return nil, fmt.Errorf("read freeze epoch: %w", err)
		}
		var fs governance.FreezeState
		if err := json.Unmarshal(b, &fs); err != nil {
			return nil, err
		}
		nonce := randomNonce()
		sig, err := governance.SignTypedData(governance.FreezeTypedData(d, *f.reason, fs.Epoch, nonce, expiry), key)
		if err != nil {
			return nil, err
		}
		return c.do(http.MethodPost, "/v1/freeze", governance.FreezeRequest{Reason: *f.reason, Epoch: fs.Epoch, Nonce: nonce, Expiry: expiry, Signature: sig})
	}
}
