package main

import (
	"bytes"
	"strings"
	"testing"
)

// No command prints a token in its --help, whatever the environment holds,
// and every command takes the token from the same variable.
func TestNoTokenInHelpAndOneVariable(t *testing.T) {
	const secret = "env-secret-token-value"
	t.Setenv("POLICYD_TOKEN", secret)
	t.Setenv(TokenEnv, secret)
	for _, args := range [][]string{
		{"whitelist", "list", "--help"}, {"whitelist", "approve", "--help"}, {"audit", "export", "--help"},
		{"l2", "status", "--help"}, {"psbt", "check", "--help"}, {"status", "--help"}, {"backup", "--help"},
	} {
		var out, errb bytes.Buffer
		run(args, &out, &errb)
		if strings.Contains(out.String()+errb.String(), secret) {
			t.Errorf("%v prints the token from the environment", args)
		}
	}
	if got := bearerToken(""); got != secret {
		t.Fatalf("bearerToken from %s: %q", TokenEnv, got)
	}
	t.Setenv(TokenEnv, "")
	if got := bearerToken(""); got != secret {
		t.Fatalf("bearerToken from POLICYD_TOKEN (old name): %q", got)
	}
	if got := bearerToken("flag"); got != "flag" {
		t.Fatalf("the flag wins: %q", got)
	}
}
