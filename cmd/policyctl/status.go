package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/internal/cli"
)

// statusReport is what `policyctl status --json` prints: every part the
// token allowed, each absent part with the reason in Errors.
type statusReport struct {
	Server    string            `json:"server"`
	Healthy   bool              `json:"healthy"`
	Ready     bool              `json:"ready"`
	Readiness json.RawMessage   `json:"readiness,omitempty"`
	Freeze    json.RawMessage   `json:"freeze,omitempty"`
	L2        json.RawMessage   `json:"l2,omitempty"`
	AuditSize *uint64           `json:"audit_tree_size,omitempty"`
	Errors    map[string]string `json:"errors,omitempty"`
}

// runStatus is `policyctl status`, in the manner of `vault status`: a
// readable summary (or --json) of GET /healthz and /readyz (public) and,
// as far as the token allows, /v1/freeze and /v1/l2/status (reader,
// auditor, operator) and the audit checkpoint's tree size (auditor).
// Exit 0 when ready, 1 when the server answers but is not ready, 2 on
// usage, 3 when it cannot be reached.
func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policyctl status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", os.Getenv("POLICYCTL_SERVER"), "policyd https:// URL (or env POLICYCTL_SERVER)")
	token := fs.String("token", "", "bearer token, optional (or env POLICYCTL_TOKEN): reader/operator adds freeze and L2, auditor also the audit log size")
	ca := fs.String("ca", "", "CA certificate (PEM) of the server")
	asJSON := fs.Bool("json", false, "print JSON for machines")
	timeout := fs.Duration("timeout", 10*time.Second, "bound of the whole status read")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: policyctl status --server URL [--token T] [--ca CA.pem] [--json]")
		fs.PrintDefaults()
		fmt.Fprintln(fs.Output(), "Exit codes: 0 ready, 1 reachable but not ready, 2 usage, 3 unreachable.")
	}
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "policyctl status: unexpected argument %q\n", fs.Arg(0))
		return cli.ExitUsage
	}
	*token = bearerToken(*token)
	httpc, err := tlsClient(*ca)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl status: %v\n", err)
		return cli.ExitIO
	}
	c, err := client.New(*server, client.WithHTTPClient(httpc), client.WithToken(*token))
	if err != nil {
		fmt.Fprintln(stderr, "policyctl status: --server must be an https:// URL")
		return cli.ExitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rep := statusReport{Server: c.URL(), Errors: map[string]string{}}

	if err := c.Health(ctx); err != nil {
		if !isAnswer(err) {
			fmt.Fprintf(stderr, "policyctl status: %s unreachable: %v\n", c.URL(), err)
			return cli.ExitIO
		}
		rep.Errors["healthz"] = err.Error()
	} else {
		rep.Healthy = true
	}
	if ok, body, err := c.Readiness(ctx); err != nil {
		rep.Errors["readyz"] = err.Error()
	} else {
		rep.Ready, rep.Readiness = ok, body
	}
	if *token != "" {
		if f, err := c.FreezeState(ctx); err != nil {
			rep.Errors["freeze"] = err.Error()
		} else {
			rep.Freeze, _ = json.Marshal(f)
		}
		if s, err := c.L2Status(ctx); err != nil {
			rep.Errors["l2"] = err.Error()
		} else {
			rep.L2 = s
		}
		if cp, err := c.AuditCheckpoint(ctx); err != nil {
			rep.Errors["audit"] = err.Error()
		} else if n, err := noteTreeSize(cp); err != nil {
			rep.Errors["audit"] = err.Error()
		} else {
			rep.AuditSize = &n
		}
	}
	if len(rep.Errors) == 0 {
		rep.Errors = nil
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		printStatus(stdout, rep)
	}
	if !rep.Ready || !rep.Healthy {
		return cli.ExitRefused
	}
	return cli.ExitOK
}

// isAnswer tells an HTTP answer from the server (an *client.Error) from a
// transport failure (unreachable, TLS).
func isAnswer(err error) bool {
	var e *client.Error
	return errors.As(err, &e)
}

func printStatus(w io.Writer, rep statusReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Key\tValue")
	fmt.Fprintln(tw, "---\t-----")
	fmt.Fprintf(tw, "Server\t%s\n", rep.Server)
	fmt.Fprintf(tw, "Healthy\t%v\n", rep.Healthy)
	fmt.Fprintf(tw, "Ready\t%v\n", rep.Ready)
	var rd struct {
		Checks []struct {
			Name   string `json:"name"`
			OK     bool   `json:"ok"`
			Detail string `json:"detail"`
		} `json:"checks"`
	}
	if json.Unmarshal(rep.Readiness, &rd) == nil {
		for _, c := range rd.Checks {
			mark := "ok"
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(tw, "  %s\t%s %s\n", c.Name, mark, c.Detail)
		}
	}
	if rep.Freeze != nil {
		var f struct {
			Frozen bool   `json:"frozen"`
			By     string `json:"by"`
			Reason string `json:"reason"`
			At     string `json:"at"`
		}
		_ = json.Unmarshal(rep.Freeze, &f)
		if f.Frozen {
			fmt.Fprintf(tw, "Frozen\ttrue (by %s at %s: %s)\n", f.By, f.At, f.Reason)
		} else {
			fmt.Fprintln(tw, "Frozen\tfalse")
		}
	}
	if rep.L2 != nil {
		var l struct {
			Contract   string `json:"contract"`
			Indexed    uint64 `json:"indexed_height"`
			Head       uint64 `json:"head"`
			Fresh      bool   `json:"fresh"`
			StaleCause string `json:"stale_cause"`
		}
		_ = json.Unmarshal(rep.L2, &l)
		fmt.Fprintf(tw, "L2 contract\t%s\n", l.Contract)
		fmt.Fprintf(tw, "L2 indexed height\t%d (head %d)\n", l.Indexed, l.Head)
		if l.Fresh {
			fmt.Fprintln(tw, "L2 fresh\ttrue")
		} else {
			fmt.Fprintf(tw, "L2 fresh\tfalse (%s)\n", l.StaleCause)
		}
	}
	if rep.AuditSize != nil {
		fmt.Fprintf(tw, "Audit tree size\t%d (unverified; policyctl audit verify checks the log)\n", *rep.AuditSize)
	}
	for _, k := range []string{"healthz", "readyz", "freeze", "l2", "audit"} {
		if e, ok := rep.Errors[k]; ok {
			fmt.Fprintf(tw, "(%s)\t%s\n", k, strings.TrimSpace(e))
		}
	}
	tw.Flush()
}

// noteTreeSize reads the tree size (second line) of a checkpoint note
// without verifying its signature: status only displays it.
func noteTreeSize(note []byte) (uint64, error) {
	lines := strings.SplitN(string(note), "\n", 3)
	if len(lines) < 3 {
		return 0, errors.New("the checkpoint is not a note")
	}
	return strconv.ParseUint(lines[1], 10, 64)
}
