package metrics

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric name.
const Namespace = "amber"

// InvalidMethod is the method label of requests whose method is not known.
const InvalidMethod = "invalid"

// unknownKind labels a request observed without a transport kind.
const unknownKind = "unknown"

// Defaults for the zero Options.
const (
	DefaultMaxMethods = 64
	maxMethodLen      = 64
)

// DefaultLatencyBuckets (seconds) span 50 µs .. 30 s.
var DefaultLatencyBuckets = []float64{
	50e-6, 100e-6, 250e-6, 500e-6,
	.001, .0025, .005, .01, .025, .05, .1, .25, .5,
	1, 2.5, 5, 10, 30,
}

// DefaultCostBuckets cover the session cost range up to the default hard
// limit (10000) with the default soft limit (1000) as a boundary.
var DefaultCostBuckets = []float64{10, 100, 250, 500, 1000, 2000, 5000, 7500, 10000}

// Options configure New. The zero value is usable: no pull sources, methods
// bounded by DefaultMaxMethods, loopback-only serving, Go and process
// collectors on.
type Options struct {
	// Pull sources read at scrape time; nil exports nothing for that part.
	Sessions SessionSource
	Index    IndexSource
	Plugins  PluginSource

	// KnownMethods reports whether a method name may be used as a label;
	// the others are recorded as "invalid". It is called on every
	// ObserveRequest and must be cheap and safe for concurrent use.
	KnownMethods func(method string) bool
	// Methods is a fixed allowlist, used when KnownMethods is nil.
	Methods []string
	// MaxMethods bounds the distinct method labels when neither KnownMethods
	// nor Methods is set: the first MaxMethods valid names seen are kept,
	// later new ones become "invalid". 0 means DefaultMaxMethods.
	MaxMethods int

	// SessionKinds are transport kinds always reported by the session
	// gauges, with 0 when no session of that kind exists.
	SessionKinds []string

	// LatencyBuckets and CostBuckets override the histogram buckets.
	LatencyBuckets []float64
	CostBuckets    []float64

	// AllowRemote lets Serve listen on a non-loopback address.
	AllowRemote bool
	// Pprof also serves net/http/pprof's /debug/pprof/ handlers.
	Pprof bool
	// NoRuntimeMetrics leaves out the Go runtime and process collectors.
	NoRuntimeMetrics bool

	Logger *slog.Logger
}

// Metrics holds the registry and the push-style metrics. A nil *Metrics is
// valid: every method is then a no-op (metrics disabled).
type Metrics struct {
	reg         *prometheus.Registry
	log         *slog.Logger
	allowRemote bool
	pprof       bool

	known func(string) bool
	seen  cowMap[string, struct{}] // dynamic mode: methods accepted so far

	requests *prometheus.CounterVec   // kind, method
	errors   *prometheus.CounterVec   // kind, method, code
	latency  *prometheus.HistogramVec // method
	bytesIn  prometheus.Counter
	bytesOut prometheus.Counter

	reqCache cowMap[reqKey, *reqEntry]
	errCache cowMap[errKey, prometheus.Counter]
}

type reqKey struct{ kind, method string }

type reqEntry struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

type errKey struct {
	kind, method string
	code         int
}

// New builds the metrics on a fresh registry (never the global one).
func New(opts Options) *Metrics {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	m := &Metrics{
		reg:         prometheus.NewRegistry(),
		log:         log,
		allowRemote: opts.AllowRemote,
		pprof:       opts.Pprof,
		known:       opts.KnownMethods,
	}
	if m.known == nil && opts.Methods != nil {
		m.known = allowlist(opts.Methods)
	}
	m.seen.limit = opts.MaxMethods
	if m.seen.limit <= 0 {
		m.seen.limit = DefaultMaxMethods
	}
	latBuckets := opts.LatencyBuckets
	if len(latBuckets) == 0 {
		latBuckets = DefaultLatencyBuckets
	}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "requests_total",
		Help: "Requests handled, by transport kind and method.",
	}, []string{"kind", "method"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "request_errors_total",
		Help: "Requests answered with an error, by transport kind, method and error code.",
	}, []string{"kind", "method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "request_duration_seconds",
		Help:    "Time to handle a request, by method.",
		Buckets: latBuckets,
	}, []string{"method"})
	m.bytesIn = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Name: "received_bytes_total",
		Help: "Bytes received from clients.",
	})
	m.bytesOut = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: Namespace, Name: "sent_bytes_total",
		Help: "Bytes sent to clients.",
	})
	m.reg.MustRegister(m.requests, m.errors, m.latency, m.bytesIn, m.bytesOut,
		newCollector(opts))
	if !opts.NoRuntimeMetrics {
		m.reg.MustRegister(collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

func allowlist(names []string) func(string) bool {
	set := make(map[string]struct{}, len(names))
	for _, n := range names {
		set[n] = struct{}{}
	}
	return func(s string) bool { _, ok := set[s]; return ok }
}

// Registry returns the registry, to register more collectors or Gather.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Handler serves the exposition of the registry (the /metrics handler).
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            slogPrintln{m.log},
		Registry:            m.reg,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
	return promhttp.InstrumentMetricHandler(m.reg, h)
}

// slogPrintln adapts slog to promhttp's Println logger.
type slogPrintln struct{ l *slog.Logger }

func (s slogPrintln) Println(v ...any) { s.l.Warn("metrics exposition", "err", v) }

// ObserveRequest records one handled request: kind is the transport kind,
// code the error code sent (0 = success), dur the handling time.
func (m *Metrics) ObserveRequest(kind, method string, code int, dur time.Duration) {
	if m == nil {
		return
	}
	if kind == "" || !utf8.ValidString(kind) {
		kind = unknownKind
	}
	method = m.methodLabel(method)
	e := m.entry(kind, method)
	e.count.Inc()
	e.latency.Observe(dur.Seconds())
	if code != 0 {
		m.errCounter(kind, method, code).Inc()
	}
}

// AddBytes adds client traffic; negative values are ignored.
func (m *Metrics) AddBytes(in, out int) {
	if m == nil {
		return
	}
	if in > 0 {
		m.bytesIn.Add(float64(in))
	}
	if out > 0 {
		m.bytesOut.Add(float64(out))
	}
}

// methodLabel maps a method name onto the bounded label set.
func (m *Metrics) methodLabel(name string) string {
	if name == "" || len(name) > maxMethodLen || !utf8.ValidString(name) {
		return InvalidMethod
	}
	if m.known != nil {
		if m.known(name) {
			return name
		}
		return InvalidMethod
	}
	if _, ok := m.seen.get(name, func() struct{} { return struct{}{} }); ok {
		return name
	}
	return InvalidMethod
}

func (m *Metrics) entry(kind, method string) *reqEntry {
	e, _ := m.reqCache.get(reqKey{kind, method}, func() *reqEntry {
		return &reqEntry{
			count:   m.requests.WithLabelValues(kind, method),
			latency: m.latency.WithLabelValues(method),
		}
	})
	return e
}

func (m *Metrics) errCounter(kind, method string, code int) prometheus.Counter {
	c, _ := m.errCache.get(errKey{kind, method, code}, func() prometheus.Counter {
		return m.errors.WithLabelValues(kind, method, strconv.Itoa(code))
	})
	return c
}
