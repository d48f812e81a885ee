package cost

import "time"

// Clock tells the time. The cost model's own tests run in a testing/synctest
// bubble on the system clock; the seam stays only because the session
// package reads the model's clock (Model.Clock) and its throttling tests set
// a manual one (costtest.FakeClock). It goes when those move to synctest.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

func orSystem(c Clock) Clock {
	if c == nil {
		return SystemClock{}
	}
	return c
}
