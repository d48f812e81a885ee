package metrics

import (
	"maps"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// families gathers m's registry keyed by metric name.
func families(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := make(map[string]*dto.MetricFamily, len(fams))
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// find returns the sample of family name whose labels are exactly want.
func find(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
	for _, mt := range f.GetMetric() {
		got := make(map[string]string)
		for _, lp := range mt.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		if maps.Equal(got, want) {
			return mt
		}
	}
	return nil
}

// value is the counter or gauge value (or histogram sample count) of a
// sample; it fails the test if the sample is missing.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	mt := find(fams, name, labels)
	if mt == nil {
		t.Fatalf("no sample %s%v", name, labels)
	}
	switch {
	case mt.Counter != nil:
		return mt.Counter.GetValue()
	case mt.Gauge != nil:
		return mt.Gauge.GetValue()
	case mt.Histogram != nil:
		return float64(mt.Histogram.GetSampleCount())
	}
	t.Fatalf("sample %s%v has no value", name, labels)
	return 0
}

// labelValues lists the distinct values of label across a family.
func labelValues(fams map[string]*dto.MetricFamily, name, label string) map[string]bool {
	out := make(map[string]bool)
	for _, mt := range fams[name].GetMetric() {
		for _, lp := range mt.GetLabel() {
			if lp.GetName() == label {
				out[lp.GetValue()] = true
			}
		}
	}
	return out
}

// bucketCount is the cumulative count of the histogram bucket with upper
// bound ub.
func bucketCount(t *testing.T, h *dto.Histogram, ub float64) uint64 {
	t.Helper()
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == ub {
			return b.GetCumulativeCount()
		}
	}
	t.Fatalf("no bucket le=%g", ub)
	return 0
}

func l(kv ...string) map[string]string {
	m := make(map[string]string)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
