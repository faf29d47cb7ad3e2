// Package console serves policyd's web console: a static, embedded single
// page for admins and auditors that talks only to policyd's REST API on the
// same origin.
//
// Trust model: the console holds no secret and no business logic. Its assets
// are compiled into the binary (embed), served with a strict
// Content-Security-Policy (scripts only from this origin, no inline script,
// no eval, no framing, no connection anywhere but this origin), and every
// datum it shows comes from the authenticated API: reads carry the bearer
// token the user pastes (kept in sessionStorage only), admin writes carry an
// EIP-712 signature made by the admin's own wallet over typed data the page
// builds from GET /v1/governance/domain and shows field by field before
// asking the wallet. The server verifies every signature itself; the page
// additionally recovers the signer from the data it showed and refuses to
// submit a signature over anything else.
//
// Mount it under /console/ on policyd's TLS listener with the public role:
//
//	mux.Handle("/console/", console.Handler(console.Config{}))
package console

import (
	"bytes"
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// Prefix is the path the console is served under.
const Prefix = "/console/"

// CSP is the Content-Security-Policy of every console response: only this
// origin's scripts, styles and connections; no inline script or style, no
// eval, no plugins, no framing, no form posts, no <base> rewriting, and
// Trusted Types so no HTML string can reach a DOM sink.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; " +
	"frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// Config configures Handler. It is empty today; it exists so options can be
// added without changing the signature.
type Config struct{}

type file struct {
	body  []byte
	ctype string
}

// Handler serves the console's embedded assets under Prefix. Only GET and
// HEAD are answered; an unknown path is 404; every response carries CSP and
// the other security headers.
func Handler(cfg Config) http.Handler {
	files := map[string]file{}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "assets/")
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".html":
			ct = "text/html; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		files[rel] = file{body: b, ctype: ct}
		return nil
	})
	if err != nil {
		panic("console: embedded assets unreadable: " + err.Error()) // compiled in: cannot happen
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=()")
		h.Set("Cache-Control", "no-cache")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
			return
		}
		rel, ok := strings.CutPrefix(r.URL.Path, Prefix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		if rel == "" {
			rel = "index.html"
		}
		f, ok := files[rel]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", f.ctype)
		http.ServeContent(w, r, rel, time.Time{}, bytes.NewReader(f.body))
	})
}
