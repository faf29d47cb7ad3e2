package psbtcheck_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

type vector struct{ name, b64 string }

// loadVectors reads a BIP174 vector file: a "# name" line, then the base64.
func loadVectors(t testing.TB, file string) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testvectors", "bip174", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	last := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "#"):
			last = strings.TrimSpace(strings.TrimPrefix(line, "#"))
		case line != "":
			out = append(out, vector{last, line})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func vectorWallet() psbtcheck.Wallet {
	return psbtcheck.Wallet{PubKey: psbtgen.NewWallet("bip174").PubKey(), Net: &chaincfg.TestNet3Params}
}

func TestBIP174Vectors(t *testing.T) {
	for _, file := range []string{"bip174_valid.txt", "bip174_invalid.txt", "bip174_signer_fail.txt"} {
		vs := loadVectors(t, file)
		want := wantCodes[file]
		if len(vs) != len(want) {
			t.Fatalf("%s: %d vectors, %d pinned codes", file, len(vs), len(want))
		}
		for i, v := range vs {
			t.Run(file+"/"+v.name, func(t *testing.T) {
				_, err := psbtcheck.Check([]byte(v.b64), vectorWallet(), psbtcheck.Limits{})
				if err == nil {
					t.Fatalf("accepted")
				}
				if !errorsIsRefused(err) {
					t.Fatalf("not a refusal: %v", err)
				}
				if got := psbtcheck.CodeOf(err); got != want[i] {
					t.Fatalf("code %q, want %q (%v)", got, want[i], err)
				}
			})
		}
	}
}

// btcd's parser accepts a BIP174-invalid vector; we refuse it.
func TestBtcdAcceptsWhatWeRefuse(t *testing.T) {
	for _, v := range loadVectors(t, "bip174_invalid.txt") {
		if !strings.Contains(v.name, "not the stated size") {
			continue
		}
		if _, err := psbt.NewFromRawBytes(bytes.NewReader([]byte(v.b64)), true); err != nil {
			t.Fatalf("btcd now refuses %q (%v): update the docs", v.name, err)
		}
		_, err := psbtcheck.Check([]byte(v.b64), vectorWallet(), psbtcheck.Limits{})
		if psbtcheck.CodeOf(err) == "" {
			t.Fatalf("psbtcheck accepted %q", v.name)
		}
		t.Logf("btcd accepts %q, psbtcheck refuses: %v", v.name, err)
		return
	}
	t.Fatal("the value-size vector is missing")
}

// wantCodes pins the refusal of every vector, in file order. Valid
// vectors are refused for policy reasons (they spend foreign scripts or
// carry fields a P2WPKH wallet never uses); invalid ones for the defect
// each was written to show.
var wantCodes = map[string][]psbtcheck.Code{
	"bip174_valid.txt": {
		psbtcheck.CodeForeignInput,     // one P2PKH input
		psbtcheck.CodeAlreadyFinalized, // P2PKH + P2SH-P2WPKH, first finalized
		psbtcheck.CodeForeignInput,     // P2PKH with sighash type
		psbtcheck.CodeInapplicable,     // redeemScript present
		psbtcheck.CodePartialSignature, // 2-of-2 P2SH-P2WSH with one signature
		psbtcheck.CodeInapplicable,     // witnessScript present
		psbtcheck.CodeUnknownKey,       // unknown input types
		psbtcheck.CodePartialSignature, // PSBT_GLOBAL_XPUB vector carries a partial sig
		psbtcheck.CodeNoInputs,         // 0 inputs and 0 outputs
		psbtcheck.CodeNoInputs,         // 0 inputs
	},
	"bip174_invalid.txt": {
		psbtcheck.CodeBadMagic,      // network transaction
		psbtcheck.CodeDecode,        // missing outputs
		psbtcheck.CodeTxNotUnsigned, // filled scriptSig
		psbtcheck.CodeMissingTx,     // no unsigned tx
		psbtcheck.CodeDuplicateKey,  // duplicate input key
		psbtcheck.CodeBadKeyData,    // global tx key
		psbtcheck.CodeBadKeyData,    // witness utxo key
		psbtcheck.CodeBadKeyData,    // partial sig pubkey length
		psbtcheck.CodeBadKeyData,    // redeemscript key
		psbtcheck.CodeBadKeyData,    // witnessscript key
		psbtcheck.CodeBadKeyData,    // input bip32 pubkey
		psbtcheck.CodeBadKeyData,    // non-witness utxo key
		psbtcheck.CodeBadKeyData,    // final scriptsig key
		psbtcheck.CodeBadKeyData,    // final script witness key
		psbtcheck.CodeBadKeyData,    // output bip32 pubkey
		psbtcheck.CodeBadKeyData,    // sighash type key
		psbtcheck.CodeBadKeyData,    // output redeemScript key
		psbtcheck.CodeBadKeyData,    // output witnessScript key
		psbtcheck.CodeBadValue,      // witness-serialized unsigned tx
		psbtcheck.CodeBadValue,      // value size not the stated size (btcd accepts it)
	},
	"bip174_signer_fail.txt": {
		psbtcheck.CodeInapplicable,     // witness utxo for a non-witness input (also carries a redeemScript)
		psbtcheck.CodePartialSignature, // redeemScript mismatch (non-witness)
		psbtcheck.CodePartialSignature, // redeemScript mismatch (witness)
		psbtcheck.CodePartialSignature, // witnessScript mismatch
	},
}

func errorsIsRefused(err error) bool { return errors.Is(err, psbtcheck.ErrRefused) }
