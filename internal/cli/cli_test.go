package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"
)

func testCommands(calls *[]string) []Command {
	leaf := func(name string) func([]string, io.Writer, io.Writer) int {
		return func(args []string, stdout, stderr io.Writer) int {
			*calls = append(*calls, name+" "+strings.Join(args, " "))
			fs := flag.NewFlagSet("prog "+name, flag.ContinueOnError)
			fs.SetOutput(stderr)
			fs.String("server", "", "the server's URL")
			if code, ok := Parse(fs, args); !ok {
				return code
			}
			if fs.NArg() > 0 {
				return ExitUsage
			}
			return ExitOK
		}
	}
	return []Command{
		{Name: "one", Summary: "the first command", Run: leaf("one")},
		{Name: "three", Summary: "the third one", Run: leaf("three")},
		{Name: "legacy", Summary: "parses flags itself", Run: func(args []string, stdout, stderr io.Writer) int {
			fs := flag.NewFlagSet("prog legacy", flag.ContinueOnError)
			fs.SetOutput(stderr)
			fs.Bool("yes", false, "do not ask")
			if err := fs.Parse(args); err != nil {
				return 2 // the flag package's ErrHelp included
			}
			return 0
		}},
	}
}

func TestDispatch(t *testing.T) {
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{nil, ExitUsage, "", "usage: prog <command>"},
		{[]string{"--help"}, ExitOK, "usage: prog <command>", ""},
		{[]string{"-h"}, ExitOK, "Exit codes: 0 ok, 1 refused or security failure, 2 usage, 3 I/O or unreachable", ""},
		{[]string{"help"}, ExitOK, "the third one", ""},
		{[]string{"--version"}, ExitOK, "prog ", ""},
		{[]string{"version"}, ExitOK, "commit ", ""},
		{[]string{"mint"}, ExitUsage, "", `prog: unknown command "mint"`},
		{[]string{"one"}, ExitOK, "", ""},
		{[]string{"one", "--help"}, ExitOK, "", "-server string"},
		{[]string{"one", "--nope"}, ExitUsage, "", "flag provided but not defined: -nope"},
		{[]string{"one", "extra"}, ExitUsage, "", ""},
		{[]string{"legacy", "-h"}, ExitOK, "", "-yes"},
		{[]string{"legacy", "--bad"}, ExitUsage, "", "-yes"},
		{[]string{"one", "--", "-h"}, ExitUsage, "", ""},
	} {
		t.Run(strings.Join(tc.args, "_"), func(t *testing.T) {
			var calls []string
			var out, errb bytes.Buffer
			code := Dispatch("prog", testCommands(&calls), tc.args, &out, &errb)
			if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Fatalf("code %d (want %d)\nstdout %q\nstderr %q", code, tc.code, out.String(), errb.String())
			}
		})
	}
}

// A nested dispatcher (prog group sub) has no version of its own.
func TestNestedDispatchHasNoVersion(t *testing.T) {
	var calls []string
	var out, errb bytes.Buffer
	if code := Dispatch("prog group", testCommands(&calls), []string{"--version"}, &out, &errb); code != ExitUsage {
		t.Fatalf("nested --version: %d %q", code, out.String())
	}
	if code := Dispatch("prog group", testCommands(&calls), []string{"--help"}, &out, &errb); code != ExitOK || strings.Contains(out.String(), "Exit codes") {
		t.Fatalf("nested --help: %d %q", code, out.String())
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{nil, ExitOK},
		{flag.ErrHelp, ExitOK},
		{errors.New("denied"), ExitRefused},
		{Usagef("--config is required"), ExitUsage},
		{fmt.Errorf("start: %w", Usagef("bad")), ExitUsage},
		{IO(fs.ErrNotExist), ExitIO},
		{fmt.Errorf("db: %w", IO(errors.New("locked"))), ExitIO},
		{WithCode(ExitRefused, errors.New("x")), ExitRefused},
	} {
		if got := Code(tc.err); got != tc.code {
			t.Errorf("Code(%v) = %d, want %d", tc.err, got, tc.code)
		}
	}
	if IO(nil) != nil || WithCode(3, nil) != nil {
		t.Fatal("a nil error must stay nil")
	}
}

func TestVersion(t *testing.T) {
	v := Version("prog")
	in := BuildInfo()
	if !strings.HasPrefix(v, "prog "+in.Version) || !strings.Contains(v, in.GoVersion) {
		t.Fatalf("Version = %q, build info %+v", v, in)
	}
	if in.Commit == "" && !strings.Contains(v, "commit unknown") {
		t.Fatalf("no commit and no 'commit unknown': %q", v)
	}
}
