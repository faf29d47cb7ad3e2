package l1

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Source is one Bitcoin endpoint as the watcher reads it. RPC implements it
// with JSON-RPC methods Bitcoin Core and btcd share; the benchmark uses a
// synthetic in-process chain. Whatever a Source returns is verified by the
// watcher (block hash, Merkle root, proof of work, linkage).
type Source interface {
	// BlockCount is the height of the endpoint's best chain.
	BlockCount(ctx context.Context) (uint64, error)
	// BlockHash is the hash of the best chain's block at height.
	BlockHash(ctx context.Context, height uint64) (chainhash.Hash, error)
	// Block is the block with that hash.
	Block(ctx context.Context, hash chainhash.Hash) (*wire.MsgBlock, error)
	// Mempool lists the txids in the endpoint's mempool.
	Mempool(ctx context.Context) ([]chainhash.Hash, error)
}

// TxSource is a Source that also serves mempool transactions by txid
// (Config.MempoolScan needs it of the primary endpoint). RPC implements it.
type TxSource interface {
	Source
	// Tx is the transaction txid (from the mempool at least).
	Tx(ctx context.Context, txid chainhash.Hash) (*wire.MsgTx, error)
}

// Endpoint is one Bitcoin JSON-RPC server.
type Endpoint struct {
	// URL is http://host:port (Bitcoin Core) or https://host:port (btcd).
	URL string
	// User and Pass are the RPC credentials (HTTP basic auth).
	User, Pass string
	// CACertPEM, for https, is the only certificate authority trusted
	// (btcd's self-signed rpc.cert). Empty: the system roots.
	CACertPEM []byte
}

// MaxResponseBytes bounds one JSON-RPC response body.
const MaxResponseBytes = 3*MaxBlockBytes + 1<<20

// RPCError is an error object returned by the server.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("l1: rpc error %d: %s", e.Code, e.Message) }

// RPC is a Bitcoin JSON-RPC client. It uses only methods Bitcoin Core and
// btcd both serve: getblockcount, getblockhash, getblock (verbosity 0),
// getrawmempool, getrawtransaction (verbose 0) and sendrawtransaction, and
// parses raw blocks and transactions itself (package wire).
type RPC struct {
	ep Endpoint
	hc *http.Client
	id atomic.Uint64
}

// NewRPC returns a client for ep. timeout bounds each call (default 30 s).
func NewRPC(ep Endpoint, timeout time.Duration) (*RPC, error) {
	if ep.URL == "" {
		return nil, fmt.Errorf("%w: endpoint URL missing", ErrConfig)
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if len(ep.CACertPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ep.CACertPEM) {
			return nil, fmt.Errorf("%w: CA certificate does not parse", ErrConfig)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &RPC{ep: ep, hc: &http.Client{Transport: tr, Timeout: timeout}}, nil
}

// Close releases idle connections.
func (c *RPC) Close() { c.hc.CloseIdleConnections() }

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *RPCError       `json:"error"`
	ID     *uint64         `json:"id"`
}

// Call performs one JSON-RPC call and returns the raw result.
func (c *RPC) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	if params == nil {
		params = []any{}
	}
	id := c.id.Add(1)
	body, err := json.Marshal(rpcRequest{JSONRPC: "1.0", ID: id, Method: method, Params: params})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.ep.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("l1: %s: request: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(c.ep.User, c.ep.Pass)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("l1: %s: %w", method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("l1: %s: read response: %w", method, err)
	}
	if len(data) > MaxResponseBytes {
		return nil, fmt.Errorf("%w: %s: response over %d bytes", ErrBadResponse, method, MaxResponseBytes)
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, fmt.Errorf("l1: %s: HTTP %d (credentials refused)", method, resp.StatusCode)
	}
	// Bitcoin Core answers errors with HTTP 500/404 and a JSON body; btcd
	// with 200. Both carry the error object.
	var r rpcResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: %s: HTTP %d, body is not JSON-RPC", ErrBadResponse, method, resp.StatusCode)
	}
	if r.Error != nil {
		return nil, fmt.Errorf("l1: %s: %w", method, r.Error)
	}
	if r.ID == nil || *r.ID != id {
		return nil, fmt.Errorf("%w: %s: response id does not match", ErrBadResponse, method)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s: HTTP %d", ErrBadResponse, method, resp.StatusCode)
	}
	if len(r.Result) == 0 || string(r.Result) == "null" {
		return nil, fmt.Errorf("%w: %s: empty result", ErrBadResponse, method)
	}
	return r.Result, nil
}

// BlockCount implements Source (getblockcount).
func (c *RPC) BlockCount(ctx context.Context) (uint64, error) {
	res, err := c.Call(ctx, "getblockcount")
	if err != nil {
		return 0, err
	}
	return ParseCountResult(res)
}

// BlockHash implements Source (getblockhash).
func (c *RPC) BlockHash(ctx context.Context, height uint64) (chainhash.Hash, error) {
	res, err := c.Call(ctx, "getblockhash", height)
	if err != nil {
		return chainhash.Hash{}, err
	}
	return ParseHashResult(res)
}

// Block implements Source (getblock with verbosity 0: raw hex).
func (c *RPC) Block(ctx context.Context, hash chainhash.Hash) (*wire.MsgBlock, error) {
	res, err := c.Call(ctx, "getblock", hash.String(), 0)
	if err != nil {
		return nil, err
	}
	return ParseBlockResult(res, hash)
}

// Mempool implements Source (getrawmempool, non-verbose).
func (c *RPC) Mempool(ctx context.Context) ([]chainhash.Hash, error) {
	res, err := c.Call(ctx, "getrawmempool")
	if err != nil {
		return nil, err
	}
	return ParseMempoolResult(res)
}

// Tx fetches a transaction (getrawtransaction, verbose 0). Without the
// node's transaction index only mempool transactions are found.
func (c *RPC) Tx(ctx context.Context, txid chainhash.Hash) (*wire.MsgTx, error) {
	res, err := c.Call(ctx, "getrawtransaction", txid.String(), 0)
	if err != nil {
		return nil, err
	}
	return ParseTxResult(res, txid)
}

// Broadcast submits tx (sendrawtransaction) and checks the returned txid.
func (c *RPC) Broadcast(ctx context.Context, tx *wire.MsgTx) (chainhash.Hash, error) {
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return chainhash.Hash{}, err
	}
	res, err := c.Call(ctx, "sendrawtransaction", hex.EncodeToString(buf.Bytes()))
	if err != nil {
		return chainhash.Hash{}, err
	}
	h, err := ParseHashResult(res)
	if err != nil {
		return h, err
	}
	if h != tx.TxHash() {
		return h, fmt.Errorf("%w: node returned txid %s for %s", ErrBadResponse, h, tx.TxHash())
	}
	return h, nil
}
