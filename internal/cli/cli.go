// Package cli is the command-line convention shared by policyd, policyctl,
// custody and the relayer: one exit-code scheme, one command dispatcher,
// --help that exits 0, and --version from the binary's own build
// information.
//
// Exit codes (documented in the README):
//
//	0  ok
//	1  refused, or a security check failed (a denied PSBT, a log that does
//	   not verify, a stale view)
//	2  usage: unknown command or flag, missing or invalid argument or
//	   configuration
//	3  I/O: a file that cannot be read or written, a server or node that
//	   cannot be reached
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// The exit codes of every command of this module.
const (
	ExitOK      = 0
	ExitRefused = 1
	ExitUsage   = 2
	ExitIO      = 3
)

// Error carries the exit code a command ends with.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Usagef is a usage error (exit 2).
func Usagef(format string, a ...any) error {
	return &Error{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// IO marks err as an I/O or reachability failure (exit 3).
func IO(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: ExitIO, Err: err}
}

// WithCode marks err with an exit code.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Code is the exit code for err: 0 for nil, the code of an *Error in its
// chain, 0 for flag.ErrHelp (help was asked for and printed), and
// ExitRefused for anything else: an unclassified failure fails closed.
func Code(err error) int {
	var e *Error
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	}
	return ExitRefused
}

// Command is one subcommand: run gets the arguments after its name and
// returns the process exit code.
type Command struct {
	Name    string
	Summary string
	Run     func(args []string, stdout, stderr io.Writer) int
}

// Dispatch runs the command args[0] names. prog is the program (and parent
// command) name, e.g. "policyctl" or "policyctl audit".
//
//   - no arguments: usage on stderr, exit 2
//   - help, -h, --help: usage on stdout, exit 0
//   - --version, version (top level only, i.e. prog without a space): the
//     build's version on stdout, exit 0
//   - an unknown command: usage on stderr, exit 2
//   - `prog CMD --help`: CMD prints its flags; the exit code is 0 even when
//     CMD's flag set reports help as an error (flag.ErrHelp's usual 2).
func Dispatch(prog string, cmds []Command, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		Usage(stderr, prog, cmds)
		return ExitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		Usage(stdout, prog, cmds)
		return ExitOK
	case "version", "-version", "--version":
		if !strings.Contains(prog, " ") {
			fmt.Fprintln(stdout, Version(prog))
			return ExitOK
		}
	}
	for _, c := range cmds {
		if c.Name == args[0] {
			code := c.Run(args[1:], stdout, stderr)
			if code == ExitUsage && AsksHelp(args[1:]) {
				return ExitOK
			}
			return code
		}
	}
	fmt.Fprintf(stderr, "%s: unknown command %q\n", prog, args[0])
	Usage(stderr, prog, cmds)
	return ExitUsage
}

// Usage lists the commands.
func Usage(w io.Writer, prog string, cmds []Command) {
	fmt.Fprintf(w, "usage: %s <command> [flags]\n\n", prog)
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.Name))
	}
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.Name, c.Summary)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", prog)
	if !strings.Contains(prog, " ") {
		fmt.Fprintln(w, "Exit codes: 0 ok, 1 refused or security failure, 2 usage, 3 I/O or unreachable.")
	}
}

// AsksHelp reports whether args ask for help: -h, -help or --help before
// any "--" terminator.
func AsksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// Parse parses args into fs (which should use flag.ContinueOnError) and
// maps the outcome onto the exit codes: ok is true when the command should
// go on; otherwise code is 0 after help was printed and 2 after a flag error
// (the flag package has printed the message and the flags already).
func Parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return ExitOK, true
	case errors.Is(err, flag.ErrHelp):
		return ExitOK, false
	}
	return ExitUsage, false
}

// Info is what the binary knows about its own build.
type Info struct {
	Module    string // module path
	Version   string // module version, "(devel)" for a build from a work tree
	Commit    string // vcs.revision, empty when built without VCS stamping
	Time      string // vcs.time
	Modified  bool   // vcs.modified: the work tree had uncommitted changes
	GoVersion string
	Tags      string // -tags, when any
}

// BuildInfo reads the running binary's build information.
func BuildInfo() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown"}
	}
	in := Info{Module: bi.Main.Path, Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if in.Version == "" {
		in.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Commit = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		case "-tags":
			in.Tags = s.Value
		}
	}
	return in
}

// Version is the one-line version of prog, e.g.
// "policyd v1.2.0 commit 3b3f82f7e1a0 (2026-12-01T10:00:00Z) go1.26.8".
func Version(prog string) string {
	in := BuildInfo()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", prog, in.Version)
	if in.Commit != "" {
		c := in.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		fmt.Fprintf(&b, " commit %s", c)
		if in.Modified {
			b.WriteString("+modified")
		}
		if in.Time != "" {
			fmt.Fprintf(&b, " (%s)", in.Time)
		}
	} else {
		b.WriteString(" commit unknown")
	}
	if in.Tags != "" {
		fmt.Fprintf(&b, " tags %s", in.Tags)
	}
	if in.GoVersion != "" {
		fmt.Fprintf(&b, " %s", in.GoVersion)
	}
	return b.String()
}
