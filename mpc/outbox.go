package mpc

import (
	"context"
	"sync"
)

// outbox holds the encoded envelopes one server-side session sends to the
// peer, which fetches them by index with a long poll. Envelopes put with
// hold=true (and everything after them) stay invisible until release; close
// with an error makes withheld envelopes unreachable forever.
type outbox struct {
	mu       sync.Mutex
	msgs     [][]byte
	visible  int
	held     bool
	closed   bool
	closeErr error
	wake     chan struct{}
}

func newOutbox() *outbox { return &outbox{wake: make(chan struct{})} }

func (o *outbox) signal() {
	close(o.wake)
	o.wake = make(chan struct{})
}

func (o *outbox) put(b []byte, hold bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrAborted
	}
	o.msgs = append(o.msgs, b)
	if hold {
		o.held = true
	}
	if !o.held {
		o.visible = len(o.msgs)
		o.signal()
	}
	return nil
}

// release makes withheld envelopes visible.
func (o *outbox) release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed && o.closeErr != nil {
		return
	}
	o.held = false
	o.visible = len(o.msgs)
	o.signal()
}

// close ends the outbox: err == nil keeps what is visible fetchable; an
// error also drops withheld envelopes.
func (o *outbox) close(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	o.closed, o.closeErr = true, err
	if err != nil {
		o.held = true // nothing withheld may ever leave
	}
	o.signal()
}

// fetch returns envelopes after index `after`, waiting until there are
// some, the outbox closes or ctx ends. done reports a closed outbox with
// nothing more to fetch; err is the close error then.
func (o *outbox) fetch(ctx context.Context, after int) (msgs [][]byte, done bool, err error) {
	for {
		o.mu.Lock()
		if after < 0 || after > len(o.msgs) {
			o.mu.Unlock()
			return nil, false, ErrBadMessage
		}
		if o.visible > after {
			out := append([][]byte(nil), o.msgs[after:o.visible]...)
			o.mu.Unlock()
			return out, false, nil
		}
		if o.closed {
			e := o.closeErr
			o.mu.Unlock()
			return nil, true, e
		}
		w := o.wake
		o.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return nil, false, nil
		}
	}
}
