package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire"
)

func readPSBT(path string) (*psbt.Packet, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	if !bytes.HasPrefix(raw, []byte("psbt\xff")) {
		dec, err := base64.StdEncoding.DecodeString(string(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: neither binary nor base64 PSBT", path)
		}
		raw = dec
	}
	return psbt.NewFromRawBytes(bytes.NewReader(raw), false)
}

func runSign(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var kf keyFlags
	var tf tlsFlags
	var wf witnessFlags
	kf.register(fs)
	tf.register(fs)
	wf.register(fs)
	psbtFile := fs.String("psbt", "", "PSBT to sign (binary or base64)")
	sharePath := fs.String("share", "", "custody's encrypted share")
	out := fs.String("out", "", "write the signed transaction hex here (default stdout)")
	timeout := fs.Duration("timeout", 10*time.Minute, "overall timeout")
	var rf rpcFlags
	rf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *psbtFile == "" || *sharePath == "" {
		return fail(stderr, cli.Usagef("--psbt and --share are required"))
	}
	packet, err := readPSBT(*psbtFile)
	if err != nil {
		return fail(stderr, err)
	}
	prot, err := kf.protector()
	if err != nil {
		return fail(stderr, err)
	}
	share, err := mpc.LoadShare(*sharePath, prot)
	if err != nil {
		return fail(stderr, err)
	}
	httpc, err := tf.client()
	if err != nil {
		return fail(stderr, err)
	}
	node, err := httpc.node(tf.server, share)
	if err != nil {
		return fail(stderr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := wf.witnessLog(ctx, tf.server, httpc.rest, *sharePath, stderr); err != nil {
		return fail(stderr, err)
	}
	tx, d, err := node.SignPSBT(ctx, packet)
	if err != nil {
		return fail(stderr, err)
	}
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return fail(stderr, err)
	}
	txHex := hex.EncodeToString(buf.Bytes())
	fmt.Fprintf(stderr, "decision %s: signed %d inputs, txid %s, every input verified by the script engine\n", d.ID, len(tx.TxIn), tx.TxHash())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(txHex+"\n"), 0o644); err != nil {
			return fail(stderr, err)
		}
	} else {
		fmt.Fprintln(stdout, txHex)
	}
	return rf.maybeSend(tx, stderr)
}

// rpcFlags say whether and where to broadcast a signed transaction.
type rpcFlags struct {
	broadcast                  bool
	host, user, pass, certFile string
}

func (r *rpcFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&r.broadcast, "broadcast", false, "send the transaction to --rpc-host")
	fs.StringVar(&r.host, "rpc-host", "127.0.0.1:18443", "btcd/bitcoind RPC host:port")
	fs.StringVar(&r.user, "rpc-user", "", "RPC user")
	fs.StringVar(&r.pass, "rpc-pass", "", "RPC password (else $CUSTODY_RPC_PASS)")
	fs.StringVar(&r.certFile, "rpc-cert", "", "RPC TLS certificate (btcd); empty means plain HTTP (bitcoind)")
}

// maybeSend broadcasts tx when asked and returns the exit code.
func (r *rpcFlags) maybeSend(tx *wire.MsgTx, stderr io.Writer) int {
	if !r.broadcast {
		return 0
	}
	txid, err := sendRaw(tx, r.host, r.user, r.pass, r.certFile)
	if err != nil {
		return fail(stderr, fmt.Errorf("broadcast: %w", err))
	}
	fmt.Fprintf(stderr, "broadcast: %s\n", txid)
	return 0
}

func sendRaw(tx *wire.MsgTx, host, user, pass, certFile string) (string, error) {
	if pass == "" {
		pass = os.Getenv("CUSTODY_RPC_PASS")
	}
	cfg := &rpcclient.ConnConfig{Host: host, User: user, Pass: pass, HTTPPostMode: true, DisableTLS: certFile == ""}
	if certFile != "" {
		pem, err := os.ReadFile(certFile)
		if err != nil {
			return "", err
		}
		cfg.Certificates = pem
	}
	c, err := rpcclient.New(cfg, nil)
	if err != nil {
		return "", err
	}
	defer c.Shutdown()
	h, err := c.SendRawTransaction(tx, false)
	if err != nil {
		return "", err
	}
	return h.String(), nil
}
