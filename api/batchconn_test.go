package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// countingListener counts the write calls on its connections.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// recordConn records the writes it is given; fail makes them fail.
type recordConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
	fail   error
}

func (c *recordConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return 0, c.fail
	}
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func (c *recordConn) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, w := range c.writes {
		out = append(out, string(w))
	}
	return out
}

func TestBatchConn(t *testing.T) {
	rc := &recordConn{}
	c := &batchConn{Conn: rc}
	w := func(s string) {
		t.Helper()
		if n, err := c.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("write %q: %d %v", s, n, err)
		}
	}
	want := func(writes ...string) {
		t.Helper()
		if got := rc.got(); strings.Join(got, "|") != strings.Join(writes, "|") || len(got) != len(writes) {
			t.Fatalf("writes %q, want %q", got, writes)
		}
	}
	w("a") // not held: written at once
	want("a")
	c.hold()
	w("b")
	w("c")
	want("a") // held
	if err := c.release(); err != nil {
		t.Fatal(err)
	}
	want("a", "bc") // one write, in order
	if err := c.release(); err != nil {
		t.Fatal(err)
	}
	want("a", "bc") // nothing held: nothing written
	// a held batch over maxBatch is written at once, in order
	c.hold()
	w("d")
	big := strings.Repeat("x", maxBatch)
	w(big)
	w("e")
	want("a", "bc", "d", big)
	if err := c.release(); err != nil {
		t.Fatal(err)
	}
	want("a", "bc", "d", big, "e")
	// a held write that fails fails every later write
	boom := errors.New("boom")
	c.hold()
	w("f")
	rc.fail = boom
	if err := c.release(); !errors.Is(err, boom) {
		t.Fatalf("release: %v", err)
	}
	rc.fail = nil
	if _, err := c.Write([]byte("g")); !errors.Is(err, boom) {
		t.Fatalf("write after a failed release: %v", err)
	}
	want("a", "bc", "d", big, "e")
}

// TestBatchConnConcurrent: writes from several goroutines while answers are
// held and released lose and reorder nothing within each writer.
func TestBatchConnConcurrent(t *testing.T) {
	rc := &recordConn{}
	c := &batchConn{Conn: rc}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if g == 0 && i%3 == 0 {
					c.hold()
				}
				_, _ = c.Write([]byte{byte('a' + g), byte(i)})
				if g == 0 && i%3 == 2 {
					_ = c.release()
				}
			}
		}()
	}
	wg.Wait()
	_ = c.release()
	all := strings.Join(rc.got(), "")
	next := map[byte]int{}
	for i := 0; i+1 < len(all); i += 2 {
		g, n := all[i], int(all[i+1])
		if n != next[g] {
			t.Fatalf("writer %c: got %d, want %d", g, n, next[g])
		}
		next[g]++
	}
	for g := range 4 {
		if next[byte('a'+g)] != 200 {
			t.Fatalf("writer %c: %d writes arrived", 'a'+g, next[byte('a'+g)])
		}
	}
}

// TestSignAnswerOneWrite: over HTTP/1.1 keep-alive a sign answer (header
// and body) leaves in one write on the TCP connection, and decodes.
func TestSignAnswerOneWrite(t *testing.T) {
	e := newEnv(t, 1, 1)
	e.sign.record = json.RawMessage(`{"pad":"` + strings.Repeat("ab", 3000) + `"}`) // over net/http's 4 KB buffer
	psbt := mustJSON(SignRequest{PSBT: base64.StdEncoding.EncodeToString([]byte("psbt\xff"))})
	send := func() (int64, SignResponse) {
		before := e.writes.Load()
		req, _ := http.NewRequest("POST", e.srv.URL+"/v1/sign-requests/dry-run", bytes.NewReader(psbt))
		resp, err := e.clients["custody"].Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var v SignResponse
		if resp.ProtoMajor != 1 || resp.StatusCode != 200 || json.Unmarshal(b, &v) != nil || v.View == nil || !bytes.Equal(v.Record, e.sign.record) {
			t.Fatalf("answer %s %d %.200s", resp.Proto, resp.StatusCode, b)
		}
		return e.writes.Load() - before, v
	}
	send() // the handshake's writes
	for range 3 {
		if n, _ := send(); n != 1 {
			t.Fatalf("a sign answer took %d writes", n)
		}
	}
}
