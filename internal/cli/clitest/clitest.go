// Package clitest checks that a command follows internal/cli's convention.
package clitest

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/internal/cli"
)

// Conventions runs prog's run function the way main does and checks:
// --help, -h and help print the command list on stdout and exit 0;
// --version prints "prog VERSION commit ..." and exits 0; every command's
// --help prints its usage (flags or subcommands) and exits 0.
func Conventions(t *testing.T, prog string, run func(args []string, stdout, stderr io.Writer) int, cmds []cli.Command) {
	t.Helper()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != cli.ExitOK || !strings.Contains(out.String(), "usage: "+prog+" <command>") {
			t.Errorf("%s %v: code %d out %q err %q", prog, args, code, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"--version"}, &out, &errb); code != cli.ExitOK || !strings.HasPrefix(out.String(), prog+" ") || !strings.Contains(out.String(), "commit ") {
		t.Errorf("%s --version: code %d out %q err %q", prog, code, out.String(), errb.String())
	}
	for _, c := range cmds {
		var out, errb bytes.Buffer
		code := run([]string{c.Name, "--help"}, &out, &errb)
		help := out.String() + errb.String()
		// A leaf prints its flags (flag.PrintDefaults), a group its
		// subcommands: either way a usage line naming the command.
		if code != cli.ExitOK || !strings.Contains(strings.ToLower(help), "usage") || !strings.Contains(help, c.Name) {
			t.Errorf("%s %s --help: code %d, output %q", prog, c.Name, code, help)
		}
	}
}
