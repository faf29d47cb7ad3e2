// Package psbtcheck turns PSBT bytes sent by the custody node into facts
// about one transaction spending the dedicated P2WPKH wallet, or refuses.
//
// # Trust
//
// Nothing in the PSBT is trusted. The only inputs trusted are the Wallet
// (the group public key or its HASH160, and the network) and the Limits,
// both from configuration. Everything in Facts is either read from the
// unsigned transaction itself or proven: input amounts and scripts come from
// non_witness_utxo, whose txid must equal the outpoint; sighashes are
// computed here.
//
// # Guarantees
//
// If Check returns Facts (err == nil):
//   - the packet is a BIP174 version-0 PSBT whose every byte was read: magic,
//     global map, one map per input and per output, nothing after; every
//     compact size minimally encoded; no duplicate key in any map; every key
//     of a known type has key data and a value of the exact shape BIP174
//     gives it; no unknown, proprietary or PSBTv2 (BIP370) key; no
//     PSBT_GLOBAL_VERSION other than 0;
//   - at most Limits.MaxBytes bytes (decoded), 1..MaxInputs inputs,
//     1..MaxOutputs outputs; tx version 1 or 2; no outpoint spent twice;
//     empty scriptSigs and witnesses in the unsigned tx;
//   - every input carries non_witness_utxo with txid == outpoint hash and
//     vout in range; witness_utxo, if present, is byte-equal to that output
//     (CVE-2020-14199); the output pays exactly the wallet's P2WPKH script;
//     no sighash type other than SIGHASH_ALL (1); no partial signature; no
//     final scriptSig/witness; no redeem/witness script, preimage or
//     taproot field (they have no place in a P2WPKH spend); BIP32
//     derivations are checked for shape and otherwise ignored, as are
//     global xpubs;
//   - every value and every sum is within 0..21e6 BTC; outputs are
//     classified change (byte-equal to the wallet script), op_return or
//     external, with the address for the network when the script is a
//     standard single-key/script type; no non-OP_RETURN output is below
//     Bitcoin Core's dust threshold (see DustThreshold);
//   - at most one OP_RETURN, with value 0, whose script is OP_RETURN and
//     exactly one minimal push, the script at most Limits.MaxDataCarrierSize
//     bytes (default 100,000, Bitcoin Core 30's -datacarriersize), whose
//     data ParseStReqIDs accepts (see its grammar); Facts.ReqIDs are those
//     ids in order;
//   - Fee = InputTotal - OutputTotal >= 0; the signed weight is at most
//     MaxStandardTxWeight (400,000 WU); VSize is the virtual size of
//     the transaction once every input carries a P2WPKH witness with a
//     72-byte signature (the maximum, so the real fee rate is never below
//     FeeRate); FeeRate = Fee / VSize rounded down;
//   - Inputs[i].Sighash is the BIP143 SIGHASH_ALL digest for input i, from
//     the verified amount and the P2WPKH script code of the wallet key.
//
// Otherwise err is a *RefusalError (errors.Is(err, ErrRefused)) carrying a
// stable Code for the first problem met while reading front to back, or
// ErrBadWallet if the Wallet is unusable (ErrBadLimits for limits no
// standard transaction could meet). The codes:
//
//	encoding   bad_base64 bad_magic decode noncanonical_size trailing_bytes
//	keys       duplicate_key bad_key_data bad_value unknown_key proprietary_key
//	           psbt_version bip370_field inapplicable_field
//	tx         missing_unsigned_tx unsigned_tx_not_empty too_large too_many_inputs
//	           too_many_outputs no_inputs no_outputs tx_version value_out_of_range
//	           duplicate_input negative_fee
//	inputs     missing_non_witness_utxo non_witness_utxo_mismatch
//	           witness_utxo_mismatch foreign_input sighash_type already_finalized
//	           partial_signature
//	outputs    dust_output multiple_op_return op_return_value op_return_too_large
//	           bad_op_return bad_stReqIds
//	weight     tx_weight
//
// Input encoding: bytes starting with "psbt\xff" are binary; anything else
// must be standard padded base64 with no other byte at all (no whitespace,
// no newlines, no URL alphabet, zero padding bits).
//
// The checker does not use btcd's PSBT parser: it walks the raw key-value
// stream itself, because psbt.NewFromRawBytes ignores trailing bytes, keeps
// unknown keys and accepts a BIP174-invalid vector. It does no I/O and
// keeps no state; Check is safe for concurrent use.
package psbtcheck
