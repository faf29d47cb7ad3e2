package api

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
)

// One write(2) per sign answer. net/http writes an HTTP/1.1 answer through
// a 4 KB buffer, so a decision (header and a 4 KB record) leaves in two or
// more TLS records and as many write system calls, and a write costs more
// than everything the API does to render the answer. BatchListener wraps
// the TCP connections under TLS so that the sign routes can hold a
// connection's writes while the answer goes out (Write, then Flush) and
// release them in one write. Nothing is dropped or reordered: held bytes
// are the connection's next bytes, written at release, before any later
// write; a batch over maxBatch is written at once. Only HTTP/1.x answers
// are held (HTTP/2 writes frames of every stream from its own goroutine)
// and only for the span of one answer's Write and Flush, never while a
// handler works or waits.

// maxBatch bounds what a held connection buffers: more is written at once.
const maxBatch = 64 << 10

// BatchListener wraps ln's connections for answer batching; serve TLS on
// it (http.Server.ServeTLS wraps it in TLS) with BatchConnContext as the
// server's ConnContext.
func BatchListener(ln net.Listener) net.Listener { return batchListener{ln} }

type batchListener struct{ net.Listener }

func (l batchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &batchConn{Conn: c}, nil
}

type batchKey struct{}

// BatchConnContext is http.Server.ConnContext for a BatchListener: it
// hands the connection under TLS to the sign routes' answers.
func BatchConnContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		if bc, ok := tc.NetConn().(*batchConn); ok {
			return context.WithValue(ctx, batchKey{}, bc)
		}
	}
	return ctx
}

// heldConn is the request's batching connection, nil when the server has
// none or the request is not HTTP/1.x.
func heldConn(r *http.Request) *batchConn {
	if r == nil || r.ProtoMajor != 1 {
		return nil
	}
	bc, _ := r.Context().Value(batchKey{}).(*batchConn)
	return bc
}

// batchBufs recycles the held bytes' buffers between answers.
var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// batchConn is a TCP connection whose writes can be held and released as
// one. Safe for concurrent use (TLS may write from a reading goroutine).
type batchConn struct {
	net.Conn
	mu   sync.Mutex
	held *[]byte // non-nil while held: the bytes written since hold
	err  error   // a failed held write: every later write fails
}

// hold buffers the connection's writes until release.
func (c *batchConn) hold() {
	c.mu.Lock()
	if c.held == nil {
		c.held = batchBufs.Get().(*[]byte)
	}
	c.mu.Unlock()
}

// release writes what was held, in one write, and stops holding.
func (c *batchConn) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held == nil {
		return c.err
	}
	err := c.flushLocked()
	if cap(*c.held) <= maxBatch {
		batchBufs.Put(c.held)
	}
	c.held = nil
	return err
}

func (c *batchConn) flushLocked() error {
	b := *c.held
	*c.held = b[:0]
	if len(b) == 0 || c.err != nil {
		return c.err
	}
	if _, err := c.Conn.Write(b); err != nil {
		c.err = err
	}
	return c.err
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if c.held == nil {
		return c.Conn.Write(p)
	}
	if len(*c.held)+len(p) > maxBatch {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > maxBatch {
			return c.Conn.Write(p)
		}
	}
	*c.held = append(*c.held, p...)
	return len(p), nil
}
