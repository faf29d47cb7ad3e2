package main

import "os"

// TokenEnv is the one environment variable every policyctl command takes
// its bearer token from when --token is not given. POLICYD_TOKEN, the name
// the whitelist commands used, is still read after it. Flags never default
// to the variable's value, so --help never prints a token.
const TokenEnv = "POLICYCTL_TOKEN"

// bearerToken is the --token value, else $POLICYCTL_TOKEN, else
// $POLICYD_TOKEN.
func bearerToken(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if t := os.Getenv(TokenEnv); t != "" {
		return t
	}
	return os.Getenv("POLICYD_TOKEN")
}
