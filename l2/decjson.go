package l2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
)

// uint256 values (reqIds, planIds, durations) are written to JSON as
// decimal strings: a JSON number above 2^53 is read as a float by
// JavaScript, jq and many other tools, and two different 77-digit reqIds
// become the same number. Reading accepts the string and, for records that
// older versions stored in bbolt, the bare number.

func decString(v *big.Int) string {
	if v == nil {
		return ""
	}
	return v.String()
}

// parseDec reads a JSON string or number holding a decimal uint256; null or
// absent is nil.
func parseDec(raw json.RawMessage, field string) (*big.Int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("l2: %s: %w", field, err)
		}
		if s == "" {
			return nil, nil
		}
	}
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || v.Sign() < 0 || v.BitLen() > 256 {
		return nil, fmt.Errorf("l2: %s %q is not a decimal uint256", field, s)
	}
	return v, nil
}

// MarshalJSON writes req_id, plan_id and duration as decimal strings.
func (r Request) MarshalJSON() ([]byte, error) {
	type plain Request
	return json.Marshal(struct {
		plain
		ReqID    string `json:"req_id"`
		PlanID   string `json:"plan_id,omitempty"`
		Duration string `json:"duration,omitempty"`
	}{plain(r), decString(r.ReqID), decString(r.PlanID), decString(r.Duration)})
}

// UnmarshalJSON reads what MarshalJSON writes (and bare numbers).
func (r *Request) UnmarshalJSON(b []byte) error {
	type plain Request
	aux := struct {
		*plain
		ReqID    json.RawMessage `json:"req_id"`
		PlanID   json.RawMessage `json:"plan_id,omitempty"`
		Duration json.RawMessage `json:"duration,omitempty"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	var err error
	if r.ReqID, err = parseDec(aux.ReqID, "req_id"); err != nil {
		return err
	}
	if r.PlanID, err = parseDec(aux.PlanID, "plan_id"); err != nil {
		return err
	}
	r.Duration, err = parseDec(aux.Duration, "duration")
	return err
}

// MarshalJSON writes plan_id as a decimal string.
func (p PlanWithdraw) MarshalJSON() ([]byte, error) {
	type plain PlanWithdraw
	return json.Marshal(struct {
		plain
		PlanID string `json:"plan_id"`
	}{plain(p), decString(p.PlanID)})
}

// UnmarshalJSON reads what MarshalJSON writes (and a bare number).
func (p *PlanWithdraw) UnmarshalJSON(b []byte) error {
	type plain PlanWithdraw
	aux := struct {
		*plain
		PlanID json.RawMessage `json:"plan_id"`
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	var err error
	p.PlanID, err = parseDec(aux.PlanID, "plan_id")
	return err
}
