package l2

import (
	"math"
	"math/big"
	"testing"
)

const btc = 100_000_000

func queueOf(amounts ...int64) []Pending {
	q := make([]Pending, len(amounts))
	for i, a := range amounts {
		q[i] = Pending{ReqID: big.NewInt(int64(100 + i)), AmountSat: a}
	}
	return q
}

func ids(ps []Pending) []int64 {
	if ps == nil {
		return nil
	}
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ReqID.Int64()
	}
	return out
}

func TestMatchFIFO(t *testing.T) {
	tests := []struct {
		name   string
		amount int64
		queue  []Pending
		want   []int64
	}{
		{"P002 example: 1,2,1 BTC and 3 BTC received", 3 * btc, queueOf(1*btc, 2*btc, 1*btc), []int64{100, 101}},
		{"exact single wins over prefix", 2 * btc, queueOf(1*btc, 1*btc, 2*btc), []int64{102}},
		{"earliest of several exact singles", 1 * btc, queueOf(3*btc, 1*btc, 1*btc), []int64{101}},
		{"whole queue", 4 * btc, queueOf(1*btc, 2*btc, 1*btc), []int64{100, 101, 102}},
		{"prefix overshoots", 2 * btc, queueOf(1*btc, 3*btc, 1*btc), nil},
		{"non-prefix subset is not released", 2 * btc, queueOf(1*btc, 3*btc, 1*btc, 5), nil},
		{"more than the queue holds", 5 * btc, queueOf(1*btc, 2*btc), nil},
		{"empty queue", 1 * btc, nil, nil},
		{"zero amount", 0, queueOf(0, 1), nil},
		{"negative amount", -1, queueOf(-1), nil},
		{"malformed entry stops the prefix", 3, queueOf(1, 0, 2), nil},
		{"negative entry stops the prefix", 2, queueOf(3, -1, 1), nil},
		{"overflow does not wrap", math.MaxInt64, queueOf(math.MaxInt64-1, 2, 1), nil},
		{"max amount exact", math.MaxInt64, queueOf(1, math.MaxInt64), []int64{101}},
		{"one satoshi", 1, queueOf(2, 1), []int64{101}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(MatchFIFO(tt.amount, tt.queue))
			if len(got) != len(tt.want) {
				t.Fatalf("MatchFIFO = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("MatchFIFO = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestMatchFIFODoesNotAlias(t *testing.T) {
	q := queueOf(1, 2, 3)
	got := MatchFIFO(3, q) // single exact match: 102
	got[0].AmountSat = 99
	if q[2].AmountSat != 3 {
		t.Fatal("result aliases the queue")
	}
	got = MatchFIFO(6, q)
	got[0].AmountSat = 99
	if q[0].AmountSat != 1 {
		t.Fatal("prefix result aliases the queue")
	}
}

// FuzzMatchFIFO checks the rule's invariants on arbitrary queues: a result
// sums exactly to the amount, is either one entry or a prefix, prefers a
// single exact entry, and is the shortest such prefix.
func FuzzMatchFIFO(f *testing.F) {
	f.Add(int64(3), []byte{1, 2, 1})
	f.Add(int64(2), []byte{1, 1, 2})
	f.Add(int64(0), []byte{})
	f.Add(int64(-5), []byte{255, 0, 7})
	f.Fuzz(func(t *testing.T, amount int64, raw []byte) {
		q := make([]Pending, len(raw))
		for i, b := range raw {
			// int8 gives negatives and zeros too; scale some up to reach big sums.
			a := int64(int8(b))
			if i%3 == 0 {
				a *= 1 << 56
			}
			q[i] = Pending{ReqID: big.NewInt(int64(i)), AmountSat: a}
		}
		got := MatchFIFO(amount, q)
		single := -1
		for i, p := range q {
			if amount > 0 && p.AmountSat == amount {
				single = i
				break
			}
		}
		if got == nil {
			if single >= 0 {
				t.Fatalf("nil but entry %d matches %d", single, amount)
			}
			// No positive prefix may sum to amount.
			var s big.Int
			for _, p := range q {
				if p.AmountSat <= 0 {
					break
				}
				s.Add(&s, big.NewInt(p.AmountSat))
				if amount > 0 && s.Cmp(big.NewInt(amount)) == 0 {
					t.Fatalf("nil but a prefix sums to %d", amount)
				}
			}
			return
		}
		if amount <= 0 {
			t.Fatalf("released %v for amount %d", ids(got), amount)
		}
		var s big.Int
		for _, p := range got {
			if p.AmountSat <= 0 {
				t.Fatalf("released a non-positive entry")
			}
			s.Add(&s, big.NewInt(p.AmountSat))
		}
		if s.Cmp(big.NewInt(amount)) != 0 {
			t.Fatalf("released sum %s != %d", s.String(), amount)
		}
		if single >= 0 {
			if len(got) != 1 || got[0].ReqID.Int64() != int64(single) {
				t.Fatalf("want single %d, got %v", single, ids(got))
			}
			return
		}
		for i, p := range got {
			if p.ReqID.Int64() != int64(i) {
				t.Fatalf("not a prefix: %v", ids(got))
			}
		}
	})
}

func BenchmarkMatchFIFO(b *testing.B) {
	q := make([]Pending, 10_000)
	for i := range q {
		q[i] = Pending{ReqID: big.NewInt(int64(i)), AmountSat: 1 + int64(i%7)}
	}
	var sum int64
	for _, p := range q[:5000] {
		sum += p.AmountSat
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if MatchFIFO(sum, q) == nil {
			b.Fatal("no match")
		}
	}
}

// BenchmarkMatchFIFO100k: the rule over 100,000 pending requests, for a
// transfer that pays the first half (the shortest prefix: 50,000 picked)
// and for one that pays a single late request (the earliest exact match).
//
//	go test ./l2 -run '^$' -bench MatchFIFO100k -benchmem -count 5
func BenchmarkMatchFIFO100k(b *testing.B) {
	q := make([]Pending, 100_000)
	for i := range q {
		q[i] = Pending{ReqID: big.NewInt(int64(i)), AmountSat: 1 + int64(i%7)}
	}
	q[90_000].AmountSat = 1_000_000 // a single exact match near the end
	var half int64
	for _, p := range q[:50_000] {
		half += p.AmountSat
	}
	for _, c := range []struct {
		name   string
		amount int64
		picked int
	}{{"prefix", half, 50_000}, {"single", 1_000_000, 1}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := MatchFIFO(c.amount, q); len(got) != c.picked {
					b.Fatalf("picked %d, want %d", len(got), c.picked)
				}
			}
		})
	}
}
