package console_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The browser tests drive Debian's Chromium through ChromeDriver's W3C
// WebDriver HTTP API: no extra Go dependency and no browser download. A
// missing browser is a test failure naming the install command, never a skip.

const (
	chromiumPath     = "/usr/bin/chromium"
	chromedriverPath = "/usr/bin/chromedriver"
	installHint      = "install Debian's Chromium and ChromeDriver: apt-get install -y --no-install-recommends chromium chromium-driver (or scripts/install-browser.sh)"
)

type browser struct {
	cmd     *exec.Cmd
	base    string // chromedriver URL
	session string
	http    *http.Client
	shots   string
	prefix  string // the test's name: several tests may share CONSOLE_SCREENSHOTS
	mu      sync.Mutex
	n       int
}

func requireBrowser(t *testing.T) {
	t.Helper()
	for _, p := range []string{chromiumPath, chromedriverPath} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing: %s", p, installHint)
		}
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// spkiHash is what --ignore-certificate-errors-spki-list wants: Chromium
// accepts exactly the test server's certificate and nothing else.
func spkiHash(cert *x509.Certificate) string {
	s := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(s[:])
}

func startBrowser(t *testing.T, serverCert *x509.Certificate) *browser {
	t.Helper()
	requireBrowser(t)
	port := freePort(t)
	cmd := exec.Command(chromedriverPath, fmt.Sprintf("--port=%d", port), "--allowed-ips=127.0.0.1")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromedriver: %v (%s)", err, installHint)
	}
	b := &browser{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), http: &http.Client{Timeout: 120 * time.Second}}
	t.Cleanup(b.quit)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := b.http.Get(b.base + "/status")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	profile := t.TempDir()
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chromiumPath,
			"args": []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--disable-extensions", "--window-size=1400,1600",
				"--user-data-dir=" + profile,
				"--ignore-certificate-errors-spki-list=" + spkiHash(serverCert)},
		},
		"goog:loggingPrefs": map[string]string{"browser": "ALL"},
		"timeouts":          map[string]int{"script": 60000, "pageLoad": 60000, "implicit": 0},
	}}}
	var out struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("POST", "/session", caps, &out); err != nil {
		t.Fatalf("new browser session: %v\n%s", err, logs.String())
	}
	b.session = out.SessionID
	b.shots = os.Getenv("CONSOLE_SCREENSHOTS")
	if b.shots == "" {
		b.shots = t.TempDir()
	}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b.prefix = sanitize(t.Name())
	t.Logf("screenshots: %s", b.shots)
	return b
}

func (b *browser) quit() {
	if b.session != "" {
		_ = b.call("DELETE", "/session/"+b.session, nil, nil)
		b.session = ""
	}
	if b.cmd != nil && b.cmd.Process != nil {
		_ = b.cmd.Process.Kill()
		_ = b.cmd.Wait()
		b.cmd = nil
	}
}

// call does one WebDriver command; out receives the "value" member.
func (b *browser) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, b.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("webdriver %s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(env.Value, &e)
		return fmt.Errorf("webdriver %s %s: %s: %s", method, path, e.Error, firstLine(e.Message))
	}
	if out != nil {
		return json.Unmarshal(env.Value, out)
	}
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (b *browser) s(p string) string { return "/session/" + b.session + p }

func (b *browser) navigate(t *testing.T, url string) {
	t.Helper()
	if err := b.call("POST", b.s("/url"), map[string]string{"url": url}, nil); err != nil {
		t.Fatal(err)
	}
}

// exec runs script (a function body) in the page with args; out gets its result.
func (b *browser) exec(t *testing.T, script string, out any, args ...any) {
	t.Helper()
	if args == nil {
		args = []any{}
	}
	if err := b.call("POST", b.s("/execute/sync"), map[string]any{"script": script, "args": args}, out); err != nil {
		b.dumpLog(t)
		t.Fatal(err)
	}
}

// execAsync runs script whose last argument is the callback.
func (b *browser) execAsync(t *testing.T, script string, out any, args ...any) {
	t.Helper()
	if args == nil {
		args = []any{}
	}
	if err := b.call("POST", b.s("/execute/async"), map[string]any{"script": script, "args": args}, out); err != nil {
		b.dumpLog(t)
		t.Fatal(err)
	}
}

func (b *browser) find(t *testing.T, css string) string {
	t.Helper()
	var el map[string]string
	if err := b.call("POST", b.s("/element"), map[string]string{"using": "css selector", "value": css}, &el); err != nil {
		b.dumpLog(t)
		t.Fatalf("find %s: %v", css, err)
	}
	for _, v := range el {
		return v
	}
	t.Fatalf("find %s: no element id", css)
	return ""
}

// click clicks the element like a user (WebDriver element click: scrolled
// into view, must be visible and enabled).
func (b *browser) click(t *testing.T, css string) {
	t.Helper()
	b.waitFor(t, css, "document.querySelector(arguments[0]) && !document.querySelector(arguments[0]).disabled", css)
	if err := b.call("POST", b.s("/element/"+b.find(t, css)+"/click"), map[string]any{}, nil); err != nil {
		b.dumpLog(t)
		t.Fatalf("click %s: %v", css, err)
	}
}

// typeInto clears the field and types text as keystrokes.
func (b *browser) typeInto(t *testing.T, css, text string) {
	t.Helper()
	id := b.find(t, css)
	if err := b.call("POST", b.s("/element/"+id+"/clear"), map[string]any{}, nil); err != nil {
		t.Fatalf("clear %s: %v", css, err)
	}
	if err := b.call("POST", b.s("/element/"+id+"/value"), map[string]any{"text": text}, nil); err != nil {
		t.Fatalf("type into %s: %v", css, err)
	}
}

func (b *browser) selectValue(t *testing.T, css, value string) {
	t.Helper()
	var ok bool
	b.exec(t, `const s = document.querySelector(arguments[0]); if (!s) return false;
		s.value = arguments[1]; s.dispatchEvent(new Event('input', {bubbles: true})); s.dispatchEvent(new Event('change', {bubbles: true}));
		return s.value === arguments[1];`, &ok, css, value)
	if !ok {
		t.Fatalf("select %s = %s failed", css, value)
	}
}

func (b *browser) text(t *testing.T, css string) string {
	t.Helper()
	var s string
	b.exec(t, `const e = document.querySelector(arguments[0]); return e ? e.textContent : null;`, &s, css)
	return s
}

// waitFor polls the JS condition (with args) until it is truthy.
func (b *browser) waitFor(t *testing.T, what, cond string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var ok bool
		b.exec(t, "return !!("+cond+");", &ok, args...)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.screenshot(t, "timeout-"+sanitize(what))
			b.dumpLog(t)
			var body string
			b.exec(t, "return document.getElementById('main').innerText;", &body)
			t.Fatalf("timed out waiting for %s; page shows:\n%s", what, body)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// page navigates to a console route and waits until it rendered.
func (b *browser) page(t *testing.T, route string) {
	t.Helper()
	b.exec(t, `document.getElementById('main').dataset.wait = '1'; location.hash = '#/' + arguments[0];
		if (document.querySelector('#page-' + arguments[0] + '[data-ready]')) { window.dispatchEvent(new HashChangeEvent('hashchange')); }`, nil, route)
	b.waitFor(t, "page "+route, "document.querySelector('#page-' + arguments[0] + '[data-ready]')", route)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(s))
}

// screenshot writes <test>-NN-name.png into the screenshots directory.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	// Fit the window to the page so the screenshot shows all of it.
	for range 2 { // the second pass settles a layout the first resize changed
		var hs []int // content height, window chrome height
		b.exec(t, "window.scrollTo(0, 0); return [Math.ceil(document.documentElement.scrollHeight), window.outerHeight - window.innerHeight];", &hs)
		height := min(max(hs[0]+hs[1]+8, 900), 6000)
		if err := b.call("POST", b.s("/window/rect"), map[string]int{"width": 1400, "height": height}, nil); err != nil {
			t.Logf("resize for screenshot: %v", err)
		}
	}
	var data string
	if err := b.call("GET", b.s("/screenshot"), nil, &data); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	png, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	b.mu.Lock()
	b.n++
	n := b.n
	b.mu.Unlock()
	if err := os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("%s-%02d-%s.png", b.prefix, n, name)), png, 0o644); err != nil {
		t.Error(err)
	}
}

func (b *browser) dumpLog(t *testing.T) {
	var entries []struct {
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	if err := b.call("POST", b.s("/se/log"), map[string]string{"type": "browser"}, &entries); err != nil {
		if !errors.Is(err, context.Canceled) {
			t.Logf("browser log unavailable: %v", err)
		}
		return
	}
	for _, e := range entries {
		t.Logf("browser %s: %s", e.Level, e.Message)
	}
}
