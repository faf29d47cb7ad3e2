package relayer

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the relayer's Prometheus series, registered on the
// Registerer given in Config (none: not exported).
type metrics struct {
	scanned   prometheus.Gauge
	tip       prometheus.Gauge
	transfers *prometheus.CounterVec
	sends     *prometheus.CounterVec
	errors    prometheus.Counter
	alarms    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		scanned: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "relayer_l1_scanned_height", Help: "Last L1 height the relayer handled.",
		}),
		tip: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "relayer_l1_tip_height", Help: "L1 tip height at the last poll.",
		}),
		transfers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relayer_transfers_total", Help: "Transfers from the dedicated wallet to the bridge, by decision.",
		}, []string{"kind", "state"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relayer_l2_sends_total", Help: "L2 transactions signed and recorded (each broadcast until mined), by method.",
		}, []string{"method"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relayer_poll_errors_total", Help: "Polls that ended with an error.",
		}),
		alarms: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relayer_alarms_total", Help: "Wallet transfers that disagree with policyd (no decision, ...) and unverifiable audit exports; never released.",
		}, []string{"alarm"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.scanned, m.tip, m.transfers, m.sends, m.errors, m.alarms} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
