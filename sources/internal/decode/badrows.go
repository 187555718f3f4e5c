package decode

import (
	"cmp"
	"slices"
	"sync"

	"github.com/kpireport/kpireport/sources"
)

// BadRows collects the first sources.MaxBadRows bad rows of a table, in file (or
// table) order, from parts of it that goroutines read in any order, and counts them
// all. It is safe for concurrent use; a nil *BadRows has none.
type BadRows struct {
	mu    sync.Mutex
	rows  []BadRow
	count int64
}

// BadRow is a bad row of part seq of a table (a chunk of a file, a range of rows).
type BadRow struct {
	Seq, Line int64
	Err       error
}

// Add adds the bad row on line of part seq.
func (b *BadRows) Add(seq, line int64, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count++
	b.rows = append(b.rows, BadRow{seq, line, err})
	if len(b.rows) >= 4*sources.MaxBadRows {
		b.trim()
	}
}

// trim keeps the first MaxBadRows rows.
func (b *BadRows) trim() {
	slices.SortFunc(b.rows, func(x, y BadRow) int { return cmp.Or(cmp.Compare(x.Seq, y.Seq), cmp.Compare(x.Line, y.Line)) })
	b.rows = b.rows[:min(len(b.rows), sources.MaxBadRows)]
}

// First returns the first bad rows, in order.
func (b *BadRows) First() []BadRow {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trim()
	return b.rows
}

// Err returns the bad rows as a *sources.RowErrors, or nil when there are none.
func (b *BadRows) Err(where string) error {
	rows := b.First()
	if len(rows) == 0 {
		return nil
	}
	e := &sources.RowErrors{Where: where, More: b.count - int64(len(rows))}
	for _, r := range rows {
		e.Rows = append(e.Rows, r.Err)
	}
	return e
}
