// Package e2e holds the end-to-end tests of policyd: the real binaries
// (policyd, custody, relayer, built once by TestMain) run as separate
// processes on loopback against a real `btcd --regtest` and a real
// `geth --dev`, or against policyd's own --dev network. See docs/e2e.md.
//
// The package has no code of its own beyond this comment; everything is in
// the _test.go files. Every child process is killed when its test ends, every
// wait is bounded, every port is a free 127.0.0.1 port and every file lives
// in the test's temporary directory.
package e2e
