package index

import (
	"fmt"
	"sync"
	"time"
)

// meterWindow is the span over which sync rates are averaged.
const meterWindow = 60 * time.Second

// syncMeter measures the forward sync from the committed states: rates over
// the last meterWindow, percent and ETA by blocks against the daemon's
// height. Safe for concurrent use (the committer writes, Status reads).
type syncMeter struct {
	mu      sync.Mutex
	samples []meterSample // time order; the first may be older than the window
	lastLog time.Time
}

type meterSample struct {
	t      time.Time
	height int64
	txs    uint64
}

// SyncProgress is the forward sync's pace (Status).
type SyncProgress struct {
	TxRate    float64       // transactions indexed per second, last minute
	BlockRate float64       // blocks indexed per second, last minute
	Percent   float64       // indexed height / daemon height × 100
	ETA       time.Duration // at BlockRate; 0 when caught up or not moving
}

// add records a committed state at now.
func (m *syncMeter) add(now time.Time, height int64, txs uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := len(m.samples); n > 0 && m.samples[n-1].height == height {
		return
	}
	m.samples = append(m.samples, meterSample{t: now, height: height, txs: txs})
	// Keep one sample at or before the window's start as the base.
	cut := 0
	for cut+1 < len(m.samples) && !m.samples[cut+1].t.After(now.Add(-meterWindow)) {
		cut++
	}
	if cut > 0 {
		m.samples = append(m.samples[:0], m.samples[cut:]...)
	}
}

// progress reports the pace at now against daemonHeight.
func (m *syncMeter) progress(now time.Time, height, daemonHeight int64) SyncProgress {
	m.mu.Lock()
	defer m.mu.Unlock()
	var p SyncProgress
	switch {
	case daemonHeight <= 0 || height >= daemonHeight:
		p.Percent = 100
	case height > 0:
		p.Percent = 100 * float64(height) / float64(daemonHeight)
	}
	if len(m.samples) < 2 {
		return p
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	// Measure up to now, so that the rates fall when commits stop.
	dt := now.Sub(first.t).Seconds()
	if dt <= 0 {
		return p
	}
	p.BlockRate = float64(last.height-first.height) / dt
	p.TxRate = float64(last.txs-first.txs) / dt
	if p.BlockRate > 0 && daemonHeight > height {
		p.ETA = time.Duration(float64(daemonHeight-height) / p.BlockRate * float64(time.Second)).Round(time.Second)
	}
	return p
}

// dueLog reports whether a progress line is due at now (and starts the
// next interval).
func (m *syncMeter) dueLog(now time.Time, every time.Duration) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lastLog.IsZero() {
		m.lastLog = now
		return false
	}
	if now.Sub(m.lastLog) < every {
		return false
	}
	m.lastLog = now
	return true
}

// syncProgress records a committed state and logs a progress line every
// ProgressInterval until the index has caught up.
func (ix *Index) syncProgress(st state) {
	now := ix.now()
	ix.meter.add(now, st.height, st.txCount)
	if ix.caughtUp || !ix.meter.dueLog(now, ix.opts.ProgressInterval) {
		return
	}
	p := ix.meter.progress(now, st.height, ix.daemonHeight.Load())
	ix.log.Info("index sync", "height", st.height, "daemon_height", ix.daemonHeight.Load(),
		"percent", fmt.Sprintf("%.2f", p.Percent), "tx_per_s", fmt.Sprintf("%.0f", p.TxRate),
		"blocks_per_s", fmt.Sprintf("%.1f", p.BlockRate), "eta", p.ETA, "tx_count", st.txCount)
}
