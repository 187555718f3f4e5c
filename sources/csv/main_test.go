package csv

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails when a test leaves goroutines behind: every way out of a Load, by
// error or cancellation, must stop its readers and workers.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
