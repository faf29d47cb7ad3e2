package testtools

import (
	"os"
	"path/filepath"
	"testing"
)

// The environment override wins, a missing override is an error (never a
// silent rebuild), and a binary already in the per-version cache is used as is.
func TestPathLookupOrder(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("POLICYD_TOOLS_DIR", dir)
	if CacheDir() != dir {
		t.Fatalf("CacheDir = %s, want %s", CacheDir(), dir)
	}
	tool := Tool{Name: "faketool", Env: "FAKETOOL_BIN", Module: "example.invalid/none", Version: "v0.0.1"}

	t.Setenv("FAKETOOL_BIN", filepath.Join(dir, "missing"))
	if _, err := tool.Path(); err == nil {
		t.Fatal("a missing override was accepted")
	}
	override := filepath.Join(dir, "mine")
	os.WriteFile(override, []byte("#!/bin/sh\n"), 0o755)
	t.Setenv("FAKETOOL_BIN", override)
	if p, err := tool.Path(); err != nil || p != override {
		t.Fatalf("override: %s %v", p, err)
	}

	t.Setenv("FAKETOOL_BIN", "")
	cached := filepath.Join(dir, "faketool-v0.0.1", "faketool")
	os.MkdirAll(filepath.Dir(cached), 0o755)
	os.WriteFile(cached, []byte("#!/bin/sh\n"), 0o755)
	if p, err := tool.Path(); err != nil || p != cached {
		t.Fatalf("cache: %s %v", p, err)
	}
}
