package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bitlayer-org/policyd/internal/btcnet"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
)

func runPreParams(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("preparams", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var kf keyFlags
	kf.register(fs)
	out := fs.String("out", "", "file to write (must not exist)")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" {
		return fail(stderr, cli.Usagef("--out is required"))
	}
	prot, err := kf.protector()
	if err != nil {
		return fail(stderr, err)
	}
	t0 := time.Now()
	pre, err := keygen.GeneratePreParams(*timeout)
	if err != nil {
		return fail(stderr, err)
	}
	ct, err := mpc.MarshalPreParams(pre, prot)
	if err != nil {
		return fail(stderr, err)
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fail(stderr, err)
	}
	if _, err := f.Write(ct); err != nil {
		f.Close()
		return fail(stderr, err)
	}
	if err := f.Close(); err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "pre-parameters written to %s in %s\n", *out, time.Since(t0).Round(time.Second))
	return 0
}

func runKeygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var kf keyFlags
	var tf tlsFlags
	var wf witnessFlags
	kf.register(fs)
	tf.register(fs)
	wf.register(fs)
	preFile := fs.String("preparams", "", "age-encrypted pre-parameters from `custody preparams` (consumed; else generated now)")
	shareOut := fs.String("share-out", "", "file for the new encrypted share (must not exist)")
	netName := fs.String("net", "regtest", "bitcoin network for the address")
	timeout := fs.Duration("timeout", 5*time.Minute, "ceremony timeout")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	net, err := btcnet.Params(*netName)
	if err != nil {
		return fail(stderr, err)
	}
	if *shareOut == "" {
		return fail(stderr, cli.Usagef("--share-out is required"))
	}
	if _, err := os.Stat(*shareOut); err == nil {
		return fail(stderr, fmt.Errorf("%s exists: refusing to overwrite a share", *shareOut))
	}
	prot, err := kf.protector()
	if err != nil {
		return fail(stderr, err)
	}
	httpc, err := tf.client()
	if err != nil {
		return fail(stderr, err)
	}
	pre, err := loadPreParams(*preFile, prot, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	client, err := mpc.NewClient(mpc.ClientConfig{BaseURL: tf.server + "/v1/mpc", HTTP: httpc.mpc})
	if err != nil {
		return fail(stderr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := wf.witnessLog(ctx, tf.server, httpc.rest, *shareOut, stderr); err != nil {
		return fail(stderr, err)
	}
	share, err := client.Keygen(ctx, mpc.PartyCustody, pre)
	if err != nil {
		return fail(stderr, err)
	}
	if err := mpc.SaveShare(*shareOut, share, prot); err != nil {
		return fail(stderr, err)
	}
	if *preFile != "" {
		_ = os.Remove(*preFile) // pre-parameters serve one ceremony only
	}
	addr, _ := share.Address(net)
	fmt.Fprintf(stdout, "group public key: %x\nwallet address (%s): %s\nshare: %s\n", share.PubKeyBytes(), net.Name, addr, *shareOut)
	return 0
}

func runAddress(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("address", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var kf keyFlags
	kf.register(fs)
	sharePath := fs.String("share", "", "encrypted share file")
	netName := fs.String("net", "regtest", "bitcoin network")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	net, err := btcnet.Params(*netName)
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
	addr, _ := share.Address(net)
	fmt.Fprintf(stdout, "party: %s\ngroup public key: %x\nwallet address (%s): %s\n", share.Self, share.PubKeyBytes(), net.Name, addr)
	return 0
}
