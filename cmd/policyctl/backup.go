package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/storage"
)

// runBackup is `policyctl backup`: an online, consistent copy of a running
// policyd's database (GET /v1/backup, operator token), checked against the
// server's SHA-256 trailer and opened once as a bbolt file before it is
// renamed into place. The key share, the audit key and the pre-parameters
// are files beside the database and are not in the copy (docs/deploy.md,
// "Backup and restore").
func runBackup(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policyctl backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", os.Getenv("POLICYCTL_SERVER"), "policyd https:// URL (or env POLICYCTL_SERVER)")
	token := fs.String("token", "", "operator bearer token (or env POLICYCTL_TOKEN)")
	ca := fs.String("ca", "", "CA certificate (PEM) of the server")
	out := fs.String("out", "", "file to write the copy to (required; never overwritten)")
	timeout := fs.Duration("timeout", 30*time.Minute, "bound of the whole copy")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: policyctl backup --server URL --token T [--ca CA.pem] --out FILE")
		fs.PrintDefaults()
	}
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	*token = bearerToken(*token)
	if fs.NArg() != 0 || *out == "" || *token == "" {
		fmt.Fprintln(stderr, "policyctl backup: --server, --token (operator) and --out are required")
		return cli.ExitUsage
	}
	if _, err := os.Stat(*out); err == nil {
		fmt.Fprintf(stderr, "policyctl backup: %s exists; not overwritten\n", *out)
		return cli.ExitUsage
	}
	httpc, err := tlsClient(*ca)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl backup: %v\n", err)
		return cli.ExitIO
	}
	c, err := client.New(*server, client.WithHTTPClient(httpc), client.WithToken(*token))
	if err != nil {
		fmt.Fprintln(stderr, "policyctl backup: --server must be an https:// URL")
		return cli.ExitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	n, sum, err := backupTo(ctx, c, *out)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl backup: %v\n", err)
		if isAnswer(err) {
			return cli.ExitRefused
		}
		return cli.ExitIO
	}
	fmt.Fprintf(stdout, "%s: %d bytes, sha256 %s\n", *out, n, sum)
	return cli.ExitOK
}

// backupTo writes the copy to a temporary file beside out, checks it opens
// as a policyd database, then renames it to out.
func backupTo(ctx context.Context, c *client.Client, out string) (int64, string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".partial-")
	if err != nil {
		return 0, "", err
	}
	defer os.Remove(tmp.Name()) // after the rename: a no-op
	n, sum, err := c.Backup(ctx, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, "", err
	}
	db, err := storage.Open(tmp.Name(), storage.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return n, "", fmt.Errorf("the copy does not open as a database: %w", err)
	}
	v, err := db.SchemaVersion()
	db.Close()
	if err != nil || v == 0 {
		return n, "", fmt.Errorf("the copy has no schema version (%d, %v)", v, err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return n, "", err
	}
	if err := os.Link(tmp.Name(), out); err != nil { // never replaces an existing file
		return n, "", err
	}
	return n, sum, nil
}
