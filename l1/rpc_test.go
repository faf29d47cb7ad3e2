package l1

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRPCResponses: the client maps Bitcoin Core's HTTP-500 error bodies,
// btcd's 200 error bodies, refused credentials, foreign ids and junk.
func TestRPCResponses(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		check  func(error) bool
	}{
		{"core error on 500", 500, `{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":1}`,
			func(err error) bool { var re *RPCError; return errors.As(err, &re) && re.Code == -8 }},
		{"btcd error on 200", 200, `{"result":null,"error":{"code":-5,"message":"No information"},"id":1}`,
			func(err error) bool { var re *RPCError; return errors.As(err, &re) && re.Code == -5 }},
		{"credentials", 401, ``, func(err error) bool { return err != nil && strings.Contains(err.Error(), "credentials") }},
		{"foreign id", 200, `{"result":5,"error":null,"id":2}`, func(err error) bool { return errors.Is(err, ErrBadResponse) }},
		{"missing id", 200, `{"result":5,"error":null}`, func(err error) bool { return errors.Is(err, ErrBadResponse) }},
		{"null result", 200, `{"result":null,"error":null,"id":1}`, func(err error) bool { return errors.Is(err, ErrBadResponse) }},
		{"html", 502, `<html>bad gateway</html>`, func(err error) bool { return errors.Is(err, ErrBadResponse) }},
		{"negative count", 200, `{"result":-1,"error":null,"id":1}`, func(err error) bool { return errors.Is(err, ErrBadResponse) }},
		{"ok", 200, `{"result":42,"error":null,"id":1}`, func(err error) bool { return err == nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "p" {
					http.Error(w, "auth", http.StatusUnauthorized)
					return
				}
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			cl, err := NewRPC(Endpoint{URL: srv.URL, User: "u", Pass: "p"}, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			n, err := cl.BlockCount(context.Background())
			if !c.check(err) {
				t.Fatalf("err = %v", err)
			}
			if err == nil && n != 42 {
				t.Fatalf("count %d", n)
			}
		})
	}
}
