// Command policyd is Bitlayer's party in the dedicated staking wallet's
// threshold-ECDSA key: it checks every signing request against the whitelist
// and the L2 staking contract's events and only then co-signs.
//
//	policyd --config /etc/policyd/config.json   production
//	go run ./cmd/policyd --dev                   local dev network, embedded defaults
//
// The dev network (fixture key shares, published dev passphrase) is compiled
// only without -tags release; a release build refuses --dev with exit 2.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/bitlayer-org/policyd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		// One line per problem (a configuration may have several).
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(os.Stderr, "policyd:", line)
		}
	}
	os.Exit(cli.Code(err)) // 0 ok or help, 1 refused, 2 usage or configuration, 3 I/O
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("policyd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if cli.AsksHelp(args) {
		fs.SetOutput(stdout) // asked-for help is output, not an error
	}
	configPath := fs.String("config", "", "configuration file (JSON)")
	dev := fs.Bool("dev", false, "run a local dev network on embedded defaults (never in production)")
	devDir := fs.String("dev-dir", ".dev", "with --dev: directory for the dev network's state")
	devL2 := fs.String("dev-l2", "127.0.0.1:18545", "with --dev: the embedded L2 chain's JSON-RPC address")
	listen := fs.String("listen", "", "override the API listen address")
	logJSON := fs.Bool("log-json", false, "log as JSON lines (default: text)")
	version := fs.Bool("version", false, "print the version (module version, commit) and exit")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: policyd --config FILE [flags]\n       go run ./cmd/policyd --dev [flags]\n\nflags:\n")
		fs.PrintDefaults()
		fmt.Fprintln(fs.Output(), "\nExit codes: 0 ok, 1 refused or security failure, 2 usage or configuration, 3 I/O (data directory locked, port busy, unreachable).")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err // exit 0: the flags were printed
		}
		return cli.WithCode(cli.ExitUsage, err)
	}
	if *version {
		fmt.Fprintln(stdout, cli.Version("policyd"))
		return nil
	}
	if fs.NArg() > 0 {
		return cli.Usagef("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}
	var h slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	if *logJSON {
		h = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	}
	logger := slog.New(h)

	switch {
	case *dev && *configPath != "":
		return cli.Usagef("--dev and --config are exclusive")
	case *dev:
		return runDev(ctx, *devDir, *devL2, *listen, logger, stdout)
	case *configPath == "":
		fs.Usage()
		return cli.Usagef("--config FILE or --dev is required")
	}
	cfg, err := LoadConfig(*configPath)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	return start(ctx, cfg, "config "+*configPath, logger, stdout)
}

// printBanner prints what operators must know at start-up, the verifier key
// above all: auditors check the log against it.
func (s *server) printBanner(w io.Writer) {
	fmt.Fprintf(w, "audit verifier key: %s\n", s.audit.VerifierKey())
	if addr, pk := s.wallet(); pk != nil {
		fmt.Fprintf(w, "dedicated wallet:   %s (group key %x)\n", addr, pk)
	} else {
		fmt.Fprintln(w, "dedicated wallet:   none yet (no key share loaded; signing starts when a key generation completes, no restart)")
	}
}
