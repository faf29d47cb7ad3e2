package client

import (
	"crypto/tls"
	"net/http"
	"time"
)

// NewHTTPClient returns the *http.Client for the REST API over tlsCfg (the
// server's CA; for the custody role, the client certificate): HTTP/1.1
// with keep-alive, up to conns connections kept open to policyd, and TLS
// session resumption, so neither a request nor a reconnection costs a full
// handshake. policyd spends less CPU per request on HTTP/1.1 than on
// HTTP/2 (README "Benchmarks", BenchmarkRESTDryRun); the MPC protocol,
// whose long polls share one connection, keeps its HTTP/2 client
// (mpc.NewHTTPClient). tlsCfg is cloned; a cfg without a session cache
// gets one.
func NewHTTPClient(tlsCfg *tls.Config, conns int) *http.Client {
	if conns < 1 {
		conns = 1
	}
	cfg := tlsCfg.Clone()
	if cfg.ClientSessionCache == nil {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(conns)
	}
	var protos http.Protocols
	protos.SetHTTP1(true)
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:     cfg,
		Protocols:           &protos,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		Proxy:               http.ProxyFromEnvironment,
	}}
}
