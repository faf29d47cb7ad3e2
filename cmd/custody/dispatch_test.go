package main

import (
	"testing"

	"github.com/bitlayer-org/policyd/internal/cli/clitest"
)

func TestHelpAndVersion(t *testing.T) { clitest.Conventions(t, "custody", run, commands()) }
