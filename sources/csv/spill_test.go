package csv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/sources"
)

// TestDuplicateSpilled checks ids with a tiny budget for their hashes, so that they
// are spilled to many runs in a temporary file by several workers: a duplicate far
// apart is still found on the right lines, the data without one is the same, and no
// temporary file is left behind.
func TestDuplicateSpilled(t *testing.T) {
	clean := t.TempDir()
	writeSynthetic(t, clean, 20000, 11, false)
	want := mustLoad(t, clean, func(o *sources.Options) { o.Workers = 1 }, nil)

	b, err := os.ReadFile(filepath.Join(clean, "orders.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n") // lines[i] is line i+1
	id := func(line int) string { return strings.SplitN(lines[line-1], ",", 2)[0] }
	const first, again = 17, 19003
	dupID := id(first)
	lines[again-1] = dupID + strings.TrimPrefix(lines[again-1], id(again))
	dup := t.TempDir()
	for _, name := range []string{"customers.csv"} {
		c, err := os.ReadFile(filepath.Join(clean, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dup, name), string(c))
	}
	writeFile(t, filepath.Join(dup, "orders.csv"), strings.Join(lines, ""))

	for _, workers := range []int{1, 4} {
		for _, budget := range []int{16 * 100, 16 * 3000} {
			t.Run(fmt.Sprintf("workers=%d/budget=%d", workers, budget), func(t *testing.T) {
				tmp := t.TempDir()
				t.Setenv("TMPDIR", tmp)
				tweak := func(s *Source) { s.blockSize, s.idBudget = 4096, budget }
				got := mustLoad(t, clean, func(o *sources.Options) { o.Workers = workers }, tweak)
				if diff := cmp.Diff(want, got, sumComparer); diff != "" {
					t.Errorf("data differs from the default budget's (-want +got):\n%s", diff)
				}
				_, err := load(t, dup, func(o *sources.Options) { o.Workers = workers }, tweak)
				wantErr := fmt.Sprintf(`orders.csv line %d column order_id: duplicate %q (first on line %d)`, again, dupID, first)
				if err == nil || err.Error() != wantErr || !errors.Is(err, sources.ErrDuplicateID) {
					t.Errorf("err = %v\nwant %s", err, wantErr)
				}
				left, err := os.ReadDir(tmp)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range left {
					t.Errorf("left behind in the temporary folder: %s", e.Name())
				}
			})
		}
	}
}
