package audit

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
)

// chunkReader serves data in reads of the sizes in chunks (cycled), with
// stalls empty reads at byte stall, then end (io.EOF or another error),
// returned with the last bytes (attach) or by the next read. Everything
// it does depends on the position in data, not on the sizes asked for.
type chunkReader struct {
	data          []byte
	pos           int
	chunks        []int
	k             int
	stall, stalls int
	end           error
	attach        bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.pos == r.stall && r.stalls > 0 {
		r.stalls--
		return 0, nil
	}
	if r.pos == len(r.data) {
		return 0, r.end
	}
	n := min(len(p), len(r.data)-r.pos, r.chunks[r.k%len(r.chunks)])
	r.k++
	if r.pos < r.stall && r.stalls > 0 {
		n = min(n, r.stall-r.pos)
	}
	copy(p, r.data[r.pos:r.pos+n])
	r.pos += n
	if r.attach && r.pos == len(r.data) {
		return n, r.end
	}
	return n, nil
}

var errChunkRead = errors.New("read failed")

// lineCase builds a reader from the fuzzer's parameters.
func lineCase(data []byte, chunks []byte, stall uint16, stalls uint8, mode uint8) func() io.Reader {
	cs := []int{}
	for _, c := range chunks {
		cs = append(cs, 1+int(c))
	}
	if len(cs) == 0 {
		cs = []int{1 << 20}
	}
	end := io.EOF
	if mode&1 != 0 {
		end = errChunkRead
	}
	return func() io.Reader {
		return &chunkReader{data: data, chunks: cs, stall: int(stall) % (len(data) + 1), stalls: int(stalls), end: end, attach: mode&2 != 0}
	}
}

// scanLines is what bufio.Scanner (ScanLines, limit max, first buffer
// initial) gives: the lines, copied, and its Err.
func scanLines(r io.Reader, max, initial int) ([][]byte, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, initial), max)
	var out [][]byte
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out, sc.Err()
}

// checkLineReader compares lineReader with the Scanner on one input, read
// line by line (as VerifyWith's sequential pass) and in batches handed off
// by take with their buffers reused (as verifyParallel): the same lines
// in order, each batch's lines intact until its buffer is reused, and the
// same error.
func checkLineReader(t *testing.T, newReader func() io.Reader, max, initial, batch, chunk int) {
	want, wantErr := scanLines(newReader(), max, initial)

	lr := newLineReaderSize(newReader(), max, chunk)
	var got [][]byte
	for {
		b, ok := lr.next()
		if !ok {
			break
		}
		got = append(got, bytes.Clone(b))
	}
	if !slices.EqualFunc(got, want, bytes.Equal) || lr.Err() != wantErr {
		t.Fatalf("line by line: %d lines, err %v; Scanner %d lines, err %v", len(got), lr.Err(), len(want), wantErr)
	}

	// Batches: a batch's buffer is reused two batches later, once its
	// lines have been checked.
	lr = newLineReaderSize(newReader(), max, chunk)
	lr.keep = true
	type held struct {
		first int
		lines [][]byte
		buf   []byte
	}
	var queue []held
	n := 0
	check := func(h held) {
		for k, b := range h.lines {
			if h.first+k >= len(want) || !bytes.Equal(b, want[h.first+k]) {
				t.Fatalf("batch line %d: %q, Scanner %d lines", h.first+k, b, len(want))
			}
		}
	}
	for done := false; !done; {
		h := held{first: n}
		for range batch {
			b, ok := lr.next()
			if !ok {
				done = true
				break
			}
			h.lines = append(h.lines, b)
			n++
		}
		var spare []byte
		if len(queue) == 2 {
			check(queue[0])
			spare = queue[0].buf
			queue = queue[1:]
		}
		h.buf = lr.take(spare)
		queue = append(queue, h)
	}
	for _, h := range queue {
		check(h)
	}
	if n != len(want) || lr.Err() != wantErr {
		t.Fatalf("batches: %d lines, err %v; Scanner %d lines, err %v", n, lr.Err(), len(want), wantErr)
	}
}

// TestLineReaderMatchesScanner: the cases the limits and ends turn on,
// each read whole and in small chunks.
func TestLineReaderMatchesScanner(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 40)
	cases := map[string][]byte{
		"empty":               nil,
		"one line":            []byte("a\n"),
		"no final newline":    []byte("a\nbc"),
		"empty lines":         []byte("\n\n\na\n\n"),
		"CR":                  []byte("a\r\nb\r\r\nc\r"),
		"line at the limit":   append(append([]byte("a\n"), long[:15]...), "\nb\n"...),
		"line over the limit": append(append([]byte("a\n"), long[:16]...), "\nb\n"...),
		"last line of max":    append([]byte("a\n"), long[:16]...),
		"last line over max":  append([]byte("a\n"), long[:17]...),
		"long":                append(append([]byte("a\n"), long...), '\n'),
	}
	for name, data := range cases {
		for _, chunks := range [][]byte{nil, {0}, {2, 0, 6}} {
			for mode := range uint8(4) {
				for _, stalls := range []uint8{0, 100, 101} {
					nr := lineCase(data, chunks, uint16(len(data)/2), stalls, mode)
					t.Run(name, func(t *testing.T) {
						for _, batch := range []int{1, 3} {
							for _, chunk := range []int{1, 5, 64} {
								checkLineReader(t, nr, 16, 4, batch, chunk)
							}
						}
					})
				}
			}
		}
	}
}

// FuzzLineReaderMatchesScanner: lineReader gives the Scanner's lines and
// error on any input, limit, chunking, stall and end, line by line and in
// handed-off batches.
func FuzzLineReaderMatchesScanner(f *testing.F) {
	f.Add([]byte("a\nbb\r\n\nccc"), []byte{0, 3}, uint16(4), uint8(0), uint8(0), uint8(8), uint8(2), uint8(2))
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaa\nb"), []byte{}, uint16(0), uint8(101), uint8(3), uint8(20), uint8(5), uint8(1))
	f.Add([]byte("x\ny\nz\n"), []byte{1}, uint16(3), uint8(100), uint8(1), uint8(2), uint8(1), uint8(3))
	f.Fuzz(func(t *testing.T, data, chunks []byte, stall uint16, stalls, mode, max, initial, batch uint8) {
		m := 1 + int(max)
		ini := 1 + int(initial)%m
		checkLineReader(t, lineCase(data, chunks, stall, stalls, mode), m, ini, 1+int(batch)%8, 1+int(initial)%37)
	})
}
