//go:build race

package e2e

// raceBuild: this test binary runs with the race detector, so the binaries
// under test are built with it too (a data race in a child process makes it
// exit 66, which fails the test).
const raceBuild = true
