package templates

import (
	"io/fs"
	"testing"
)

func TestFS(t *testing.T) {
	for _, name := range []string{"month.toml", "week.toml", "quarter.toml", "labels.toml", "definitions.toml"} {
		if b, err := fs.ReadFile(FS, name); err != nil || len(b) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
