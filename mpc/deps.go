package mpc

import (
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

var (
	_ = keygen.NewLocalParty
	_ = signing.NewLocalParty
	_ = tss.NewParameters
)
