//go:build release

package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/bitlayer-org/policyd/internal/cli"
)

// errNoDev is --dev's answer in a release build: the fixture key shares and
// the dev passphrase are not in this binary, on purpose.
var errNoDev = errors.New("--dev is not available in this build (a release build, -tags release, carries no dev keys); run the dev network from the source tree: go run ./cmd/policyd --dev")

func runDev(ctx context.Context, dir, l2Listen, listen string, logger *slog.Logger, out io.Writer) error {
	return cli.WithCode(cli.ExitUsage, errNoDev)
}
