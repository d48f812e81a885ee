package costtest

import (
	"testing"
	"time"

	"github.com/amber-electrum/amber/core/internal/cost"
)

var _ cost.Clock = (*FakeClock)(nil)

func TestFakeClock(t *testing.T) {
	var zero FakeClock
	if got := zero.Now(); !got.Equal(time.Unix(0, 0)) {
		t.Errorf("zero value starts at %v, want the Unix epoch", got)
	}
	c := NewFakeClock(time.Unix(100, 0))
	c.Advance(5 * time.Second)
	if got := c.Now(); !got.Equal(time.Unix(105, 0)) {
		t.Errorf("after Advance: %v, want %v", got, time.Unix(105, 0))
	}
}
