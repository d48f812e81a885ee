package session

import (
	"time"

	"github.com/amber-electrum/amber/core/internal/cost"
)

// Profile holds the per-kind session limits. The zero value is a session
// without limits: no response-size limit, no deadline, 10 concurrent
// requests, cost counted (without bandwidth) but never throttled.
type Profile struct {
	// MaxSend is the largest response in bytes; 0 means unlimited.
	MaxSend int
	// RequestTimeout bounds each request from its arrival: the wait for
	// a slot, the throttling sleep and the handler (a batch's items share
	// the batch's deadline); 0 means none.
	RequestTimeout time.Duration
	// Concurrency is the number of requests handled at once by an
	// unthrottled session (INITIAL_CONCURRENT, default 10).
	Concurrency int
	// BandwidthUnitCost is bytes per 1.0 of cost; 0 disables bandwidth cost.
	BandwidthUnitCost int
	// ConnectionCost is charged once at start.
	ConnectionCost float64

	// SoftLimit and HardLimit are the cost limits (COST_SOFT_LIMIT,
	// COST_HARD_LIMIT); HardLimit ≤ SoftLimit (e.g. both 0) disables
	// throttling. Validation (hard < soft is fatal, equal means soft+1)
	// belongs to the config.
	SoftLimit, HardLimit float64
	// RequestSleep is the throttling delay at fraction 1 (REQUEST_SLEEP).
	RequestSleep time.Duration
	// DecayDivisor: the cost decays by HardLimit/DecayDivisor per second
	// (and HardLimit/(DecayDivisor + 5×subs) after each periodic reset);
	// 0 means 10000.
	DecayDivisor float64
	// NoGroups keeps the sessions out of the cost groups.
	NoGroups bool

	// MaxBatch is the most requests in one batch (max_batch); a larger
	// batch is answered with one error. 0 means no limit.
	MaxBatch int
	// BatchItemCost is charged per item when a batch is decoded, before
	// any item runs, and given back as each item is answered (BatchItemCost
	// in batch.go); 0 charges nothing up front.
	BatchItemCost float64
	// BatchesInFlight is how many batches may run at once before the
	// reader waits (0: DefaultBatchesInFlight).
	BatchesInFlight int
	// SendQueueBytes bounds the bytes queued for the client
	// (max_send_queue); a session that goes over it is closed. 0 means
	// only the message-count bound.
	SendQueueBytes int
	// HandshakeTimeout bounds the time to the first request, TLS
	// handshake included (handshake_timeout); 0 means none.
	HandshakeTimeout time.Duration
	// SerialUntilProtocol processes requests one at a time, in order,
	// until the handler reports a protocol (Info.Protocol).
	SerialUntilProtocol bool
	// Capped sessions take part in admission (Options.Admission).
	Capped bool

	// Observe, if set, is called once per answered request with the
	// method ("" when the message could not be parsed), the error code
	// (0 on success) and the time from processing start to the reply.
	Observe func(method string, code int, dur time.Duration)
	// ObserveBytes, if set, is called with the size of every message
	// received (in) and sent (out), for metrics.
	ObserveBytes func(in, out int)
}

// AdminProfile is the profile of admin (rpc) sessions: the RPC library
// defaults (soft 2000, hard 10000, decay hard/3600 per second, 1/100000
// cost per byte, 20 concurrent requests), no request deadline, no
// response-size limit, no groups.
func AdminProfile() Profile {
	l := cost.LibraryLimits()
	return Profile{
		Concurrency:       l.InitConcurrent,
		BandwidthUnitCost: 100000,
		SoftLimit:         l.Soft,
		HardLimit:         l.Hard,
		RequestSleep:      l.SleepMax,
		DecayDivisor:      l.DecayDivisor,
		NoGroups:          true,
	}
}

// Limits returns the cost limits of the profile.
func (p Profile) Limits() cost.Limits {
	return cost.Limits{
		Soft: p.SoftLimit, Hard: p.HardLimit, SleepMax: p.RequestSleep,
		InitConcurrent: p.Concurrency, DecayDivisor: p.DecayDivisor,
	}
}
