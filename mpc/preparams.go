package mpc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
)

// PreParamsSource hands out tss-lib pre-parameters (Paillier key and safe
// primes), each exactly once.
type PreParamsSource interface {
	Take(ctx context.Context) (*keygen.LocalPreParams, error)
}

// MarshalPreParams encrypts pre-parameters (they hold a Paillier secret key).
func MarshalPreParams(p *keygen.LocalPreParams, prot *Protector) ([]byte, error) {
	if p == nil || !p.ValidateWithProof() {
		return nil, fmt.Errorf("mpc: invalid pre-parameters")
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return prot.Seal(plain)
}

// UnmarshalPreParams decrypts pre-parameters; plaintext is refused.
func UnmarshalPreParams(ct []byte, prot *Protector) (*keygen.LocalPreParams, error) {
	plain, err := prot.Open(ct)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	var p keygen.LocalPreParams
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, fmt.Errorf("mpc: decode pre-parameters: %w", err)
	}
	if !p.ValidateWithProof() {
		return nil, fmt.Errorf("mpc: invalid pre-parameters")
	}
	return &p, nil
}

// PoolConfig configures a PreParamsPool.
type PoolConfig struct {
	Dir       string     // where encrypted pre-parameters are kept (0700)
	Protector *Protector // encrypts them
	Target    int        // how many to keep ready; 0 means 2
	// Generate produces one set; nil means tss-lib's GeneratePreParams with
	// a 10-minute limit on one core.
	Generate func(ctx context.Context) (*keygen.LocalPreParams, error)
	Logger   *slog.Logger
}

// PreParamsPool keeps Target pre-parameter sets ready on disk, encrypted,
// generating in the background; Take removes one (file deleted) so none is
// ever used twice.
type PreParamsPool struct {
	cfg  PoolConfig
	mu   sync.Mutex
	wake chan struct{}
	seq  int
}

// NewPreParamsPool creates the pool (it does not start generating: call Run).
func NewPreParamsPool(cfg PoolConfig) (*PreParamsPool, error) {
	if cfg.Dir == "" || cfg.Protector == nil {
		return nil, fmt.Errorf("mpc: pre-parameter pool needs Dir and Protector")
	}
	if cfg.Target <= 0 {
		cfg.Target = 2
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Generate == nil {
		cfg.Generate = func(ctx context.Context) (*keygen.LocalPreParams, error) {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			defer cancel()
			return keygen.GeneratePreParamsWithContext(ctx, 1)
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	return &PreParamsPool{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

func (p *PreParamsPool) files() ([]string, error) {
	m, err := filepath.Glob(filepath.Join(p.cfg.Dir, "preparams-*.age"))
	sort.Strings(m)
	return m, err
}

// Ready is how many sets are stored.
func (p *PreParamsPool) Ready() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, _ := p.files()
	return len(f)
}

// Add stores one set (e.g. imported fixtures).
func (p *PreParamsPool) Add(pre *keygen.LocalPreParams) error {
	ct, err := MarshalPreParams(pre, p.cfg.Protector)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	name := fmt.Sprintf("preparams-%d-%d.age", time.Now().UnixNano(), p.seq)
	return writeNewFile(filepath.Join(p.cfg.Dir, name), ct)
}

// Take removes and returns one stored set; it fails at once when none is
// ready (a key ceremony should not wait minutes for primes).
func (p *PreParamsPool) Take(ctx context.Context) (*keygen.LocalPreParams, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.kick()
	files, err := p.files()
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		ct, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		// Remove first: a set must never serve two ceremonies.
		if err := os.Remove(f); err != nil {
			return nil, err
		}
		pre, err := UnmarshalPreParams(ct, p.cfg.Protector)
		if err != nil {
			p.cfg.Logger.Warn("mpc: dropping unreadable pre-parameters", "file", filepath.Base(f), "err", err)
			continue
		}
		return pre, nil
	}
	return nil, fmt.Errorf("mpc: no pre-parameters ready (the pool is still generating)")
}

func (p *PreParamsPool) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run generates until Target sets are stored, then waits for a Take; it
// returns when ctx ends.
func (p *PreParamsPool) Run(ctx context.Context) error {
	for {
		if p.Ready() < p.cfg.Target {
			t0 := time.Now()
			pre, err := p.cfg.Generate(ctx)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				p.cfg.Logger.Warn("mpc: pre-parameter generation failed", "err", err)
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(10 * time.Second):
				}
				continue
			}
			if err := p.Add(pre); err != nil {
				return err
			}
			p.cfg.Logger.Info("mpc: pre-parameters ready", "took", time.Since(t0).Round(time.Millisecond), "ready", p.Ready())
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.wake:
		}
	}
}
