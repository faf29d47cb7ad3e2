package audit

import (
	"bufio"
	"bytes"
	"io"
)

// lineReader splits an export into lines as bufio.Scanner with ScanLines
// and a maxLine limit does (the same lines and the same errors, for any
// reader whose behaviour depends on the bytes read, not on the sizes of
// the calls), but in a buffer the parallel verifier can hand off with the
// batch whose lines it holds (take), so record lines are not copied once
// more out of the scanner's buffer. FuzzLineReaderMatchesScanner holds it
// to the Scanner's results.
//
// As the Scanner: a line is what precedes a '\n', without one '\r' before
// it; the input's last bytes are a line if not empty; a line that does not
// end within max bytes (its '\n' included) is bufio.ErrTooLong; after a
// read error the lines already read come out, then the error.
type lineReader struct {
	r          io.Reader
	buf        []byte // buf[start:end] is read and not yet returned
	start, end int
	max        int   // the Scanner's maximum token size
	err        error // what ended the input (io.EOF, a read error, ErrTooLong)
	stopped    bool  // no more lines
	// keep says the lines returned since the last take stay valid: buf is
	// never written below end; more room means a new buffer.
	keep bool
	// chunk bounds one Read (lineReadSize; tests make it small).
	chunk int
}

// lineReadSize bounds one Read: what a take copies to the next buffer is
// at most the part of one read that is past the batch's last line.
const lineReadSize = 64 << 10

func newLineReader(r io.Reader, max int) *lineReader {
	return newLineReaderSize(r, max, lineReadSize)
}

// newLineReaderSize is a lineReader reading at most chunk bytes at a
// time into a first buffer of chunk bytes.
func newLineReaderSize(r io.Reader, max, chunk int) *lineReader {
	return &lineReader{r: r, buf: make([]byte, chunk), max: max, chunk: chunk}
}

// Err is the Scanner's Err: the error that ended the input, nil at its end.
func (l *lineReader) Err() error {
	if l.err == io.EOF {
		return nil
	}
	return l.err
}

func (l *lineReader) setErr(err error) {
	if l.err == nil || l.err == io.EOF {
		l.err = err
	}
}

// next returns the next line, which aliases the buffer: valid until the
// next call (or, with keep, until its buffer is reused after a take).
func (l *lineReader) next() ([]byte, bool) {
	for !l.stopped {
		data := l.buf[l.start:l.end]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l.start += i + 1
			return dropCR(data[:i]), true
		}
		if l.err != nil {
			// The rest is the last line (the Scanner's split at EOF).
			l.stopped = true
			if len(data) == 0 {
				return nil, false
			}
			l.start = l.end
			return dropCR(data), true
		}
		if len(data) >= l.max {
			// max bytes without a '\n', and the input goes on (the
			// Scanner's full buffer).
			l.setErr(bufio.ErrTooLong)
			l.stopped = true
			return nil, false
		}
		l.fill()
	}
	return nil, false
}

func dropCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// fill reads more (some bytes, or an error), never beyond max bytes past
// start: a line's '\n' is looked for in at most max bytes, as the
// Scanner's buffer holds, and an error is seen with the bytes it came
// with, as the Scanner sees it.
func (l *lineReader) fill() {
	if l.end == len(l.buf) {
		pending := l.end - l.start
		if !l.keep && l.start > 0 {
			copy(l.buf, l.buf[l.start:l.end]) // (in place: no line returned is in use)
		} else {
			size := max(2*len(l.buf), pending+l.chunk)
			nb := make([]byte, size)
			copy(nb, l.buf[l.start:l.end])
			l.buf = nb
		}
		l.start, l.end = 0, pending
	}
	limit := min(len(l.buf), l.end+l.chunk, l.start+l.max)
	for empty := 0; ; {
		n, err := l.r.Read(l.buf[l.end:limit])
		if n < 0 || n > limit-l.end {
			l.setErr(bufio.ErrBadReadCount)
			return
		}
		l.end += n
		if err != nil {
			l.setErr(err)
			return
		}
		if n > 0 {
			return
		}
		if empty++; empty > 100 { // the Scanner's maxConsecutiveEmptyReads
			l.setErr(io.ErrNoProgress)
			return
		}
	}
}

// take returns the buffer that holds the lines returned since the last
// take (they stay valid: the reader never writes it again) and goes on in
// spare's memory (a buffer an earlier take returned, no longer in use, or
// nil), the bytes read and not yet returned copied to it.
func (l *lineReader) take(spare []byte) []byte {
	old, pending := l.buf, l.end-l.start
	spare = spare[:cap(spare)]
	// As large as this buffer (sizes settle once the batches' size is
	// known: spare buffers are then always large enough), and room for
	// one read.
	if size := max(len(old), pending+l.chunk); len(spare) < size {
		spare = make([]byte, size)
	}
	copy(spare, old[l.start:l.end])
	l.buf, l.start, l.end = spare, 0, pending
	return old
}
