package panics

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

func TestRecover(t *testing.T) {
	tests := []struct {
		name    string
		fn      func() error
		want    string
		runtime bool
	}{
		{"no panic", func() error { return nil }, "", false},
		{"error kept", func() error { return errors.New("load: bad row") }, "load: bad row", false},
		{"string", func() error { panic("boom") }, "panic: boom", false},
		{"runtime error", func() error {
			var s []int
			_ = s[3]
			return nil
		}, "panic: runtime error: index out of range [3] with length 0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := func() (err error) {
				defer Recover(&err)
				return tt.fn()
			}()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			var re runtime.Error
			if errors.As(err, &re) != tt.runtime {
				t.Errorf("errors.As(runtime.Error) = %v, want %v", !tt.runtime, tt.runtime)
			}
			var pe *Error
			if errors.As(err, &pe) && !strings.Contains(string(pe.Stack), "panics.TestRecover") {
				t.Errorf("stack does not show where it panicked:\n%s", pe.Stack)
			}
		})
	}
}
