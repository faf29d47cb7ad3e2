package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// ErrNoSecret: no file, no environment variable and no terminal to ask on.
var ErrNoSecret = errors.New("no secret given")

// Secret reads a password or passphrase: from file when one is named (its
// first line), else from the environment variable env when it is set, else
// by asking on the terminal (prompt on w, no echo). Without any of them
// (e.g. stdin is a pipe) it fails with ErrNoSecret (a usage error, exit 2);
// it never reads a secret from a pipe silently.
func Secret(file, env, prompt string, w io.Writer) (string, error) {
	return secretFrom(file, env, prompt, w, os.Stdin)
}

func secretFrom(file, env, prompt string, w io.Writer, in *os.File) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", IO(err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	if env != "" {
		if v := os.Getenv(env); v != "" {
			return v, nil
		}
	}
	if in == nil || !term.IsTerminal(int(in.Fd())) {
		return "", WithCode(ExitUsage, ErrNoSecret)
	}
	fmt.Fprint(w, prompt)
	b, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(w)
	if err != nil {
		return "", IO(fmt.Errorf("read from the terminal: %w", err))
	}
	if len(b) == 0 {
		return "", WithCode(ExitUsage, ErrNoSecret)
	}
	return string(b), nil
}
