package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bitlayer-org/policyd/internal/btcnet"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/mpc"
)

// runReshare rotates the custody share with policyd: same group key and
// wallet address, new secret shares. The new share file is written before
// the confirmation signature; the old one is kept.
func runReshare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reshare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var kf keyFlags
	var tf tlsFlags
	var wf witnessFlags
	kf.register(fs)
	tf.register(fs)
	wf.register(fs)
	sharePath := fs.String("share", "", "custody's current encrypted share (kept)")
	shareOut := fs.String("share-out", "", "file for the new encrypted share (must not exist; default share.<epoch>.age next to --share)")
	preFile := fs.String("preparams", "", "age-encrypted pre-parameters from `custody preparams` (consumed; else generated now)")
	netName := fs.String("net", "regtest", "bitcoin network for the address")
	timeout := fs.Duration("timeout", 10*time.Minute, "ceremony timeout (resharing and confirmation)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *sharePath == "" {
		return fail(stderr, cli.Usagef("--share is required"))
	}
	net, err := btcnet.Params(*netName)
	if err != nil {
		return fail(stderr, err)
	}
	prot, err := kf.protector()
	if err != nil {
		return fail(stderr, err)
	}
	old, err := mpc.LoadShare(*sharePath, prot)
	if err != nil {
		return fail(stderr, err)
	}
	out := *shareOut
	if out == "" {
		out = mpc.EpochSharePath(filepath.Dir(*sharePath), old.Epoch+1)
	}
	if _, err := os.Stat(out); err == nil {
		return fail(stderr, fmt.Errorf("%s exists: refusing to overwrite a share", out))
	}
	httpc, err := tf.client()
	if err != nil {
		return fail(stderr, err)
	}
	pre, err := loadPreParams(*preFile, prot, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	node, err := httpc.node(tf.server, old)
	if err != nil {
		return fail(stderr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := wf.witnessLog(ctx, tf.server, httpc.rest, *sharePath, stderr); err != nil {
		return fail(stderr, err)
	}
	if *preFile != "" {
		// Pre-parameters serve one ceremony only, whatever its outcome.
		defer os.Remove(*preFile)
	}
	ns, err := node.Reshare(ctx, pre, out, prot)
	if err != nil {
		if _, serr := os.Stat(out); serr == nil {
			fmt.Fprintf(stderr, "custody: %s was written but NOT confirmed: keep using %s\n", out, *sharePath)
		}
		return fail(stderr, err)
	}
	addr, _ := ns.Address(net)
	fmt.Fprintf(stdout, "group public key: %x (unchanged)\nwallet address (%s): %s (unchanged)\nepoch: %d -> %d\nnew share: %s (confirmed by policyd)\nold share kept: %s (remove it once the new share has signed)\n",
		ns.PubKeyBytes(), net.Name, addr, old.Epoch, ns.Epoch, out, *sharePath)
	return 0
}
