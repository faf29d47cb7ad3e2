package psbtcheck_test

import (
	"runtime"
	"testing"

	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// A few bytes claiming huge counts must be refused without wire's
// count-sized allocations (it would allocate ~60-100 MB for these).
func TestNoAllocationAmplification(t *testing.T) {
	manyInputs := []byte{2, 0, 0, 0, 0xfe, 0x00, 0xe0, 0x0b, 0x00} // 778240 inputs
	manyOutputs := append([]byte{2, 0, 0, 0, 0x01}, make([]byte, 41)...)
	manyOutputs = append(manyOutputs, 0xfe, 0x00, 0x00, 0x38, 0x00) // 3.6M outputs
	manyWitness := append([]byte{2, 0, 0, 0, 0x00, 0x01, 0x01}, make([]byte, 41)...)
	manyWitness = append(manyWitness, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x00) // one output
	manyWitness = append(manyWitness, 0xfe, 0x00, 0x09, 0x3d, 0x00)       // 4M witness items
	// Warm up lazily initialised package state so it is not counted.
	if _, err := psbtcheck.Check(psbtgen.Serialize(mustBase(t)), caseWallet(), psbtcheck.Limits{}); err != nil {
		t.Fatal(err)
	}
	for name, prev := range map[string][]byte{"inputs": manyInputs, "outputs": manyOutputs, "witness items": manyWitness} {
		t.Run(name, func(t *testing.T) {
			r := psbtgen.Raw(mustBase(t))
			r.Inputs[0][0].Value = prev
			raw := r.Encode()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := psbtcheck.Check(raw, caseWallet(), psbtcheck.Limits{})
			runtime.ReadMemStats(&after)
			if psbtcheck.CodeOf(err) != psbtcheck.CodeBadValue {
				t.Fatalf("got %v", err)
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
				t.Fatalf("allocated %d bytes for a %d-byte packet", d, len(raw))
			}
		})
	}
	// The unsigned tx too: outputs are not bounded by MaxInputs.
	r := psbtgen.Raw(mustBase(t))
	r.Global[0].Value = manyOutputs
	if _, err := psbtcheck.Check(r.Encode(), caseWallet(), psbtcheck.Limits{}); psbtcheck.CodeOf(err) != psbtcheck.CodeBadValue {
		t.Fatalf("unsigned tx with 3.6M outputs: %v", err)
	}
}
