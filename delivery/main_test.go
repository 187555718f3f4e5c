package delivery

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any leave a goroutine behind: a
// stuck SMTP attempt or a forgotten timer.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
