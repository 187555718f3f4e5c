package demo

import "context"

// store receives the generated tables one after the other and puts them in
// place only on commit; discard closes and removes whatever it wrote so far,
// also tables whose writer was not closed.
type store interface {
	create(ctx context.Context, t *table) (tableWriter, error)
	commit(ctx context.Context) error
	discard() error
}

// tableWriter receives the rows of one table. The row is reused after write
// returns.
type tableWriter interface {
	write(r *row) error
	close() error
}

var (
	_ store = (*csvStore)(nil)
	_ store = (*sqliteStore)(nil)
)
