package demo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unicode"
	"unicode/utf8"
)

// csvStore writes each table to dir/<table>.csv: comma separated, "\n" line
// ends, fields quoted only when needed, by the rules of encoding/csv.
type csvStore struct {
	dir   string
	files []*csvTableWriter
}

func newCSVStore(dir string) *csvStore { return &csvStore{dir: dir} }

func (s *csvStore) create(_ context.Context, t *table) (tableWriter, error) {
	final := filepath.Join(s.dir, t.name+".csv")
	f, err := os.CreateTemp(s.dir, "."+t.name+".csv.*.tmp")
	if err != nil {
		return nil, err
	}
	w := &csvTableWriter{f: f, w: bufio.NewWriterSize(f, 1<<20), final: final}
	s.files = append(s.files, w)
	if err := f.Chmod(filePerm); err != nil {
		return nil, err
	}
	var header row
	for _, c := range t.columns {
		header.text(c.name)
	}
	if err := w.write(&header); err != nil {
		return nil, err
	}
	return w, nil
}

func (s *csvStore) commit(context.Context) error {
	for _, w := range s.files {
		if !w.closed {
			return fmt.Errorf("commit %s: table not complete", w.final)
		}
	}
	for _, w := range s.files {
		if err := os.Rename(w.f.Name(), w.final); err != nil {
			return err
		}
	}
	s.files = nil
	return nil
}

func (s *csvStore) discard() error {
	var errs []error
	for _, w := range s.files {
		if !w.closed {
			w.closed = true
			errs = append(errs, w.f.Close())
		}
		if err := os.Remove(w.f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.files = nil
	return errors.Join(errs...)
}

// csvTableWriter writes one table to a temporary file.
type csvTableWriter struct {
	f      *os.File
	w      *bufio.Writer
	final  string // the file's name once committed
	closed bool
}

func (w *csvTableWriter) write(r *row) error {
	for i := range r.len() {
		if i > 0 {
			w.w.WriteByte(',')
		}
		field := r.field(i)
		if !fieldNeedsQuotes(field) {
			w.w.Write(field)
			continue
		}
		w.w.WriteByte('"')
		for _, c := range field {
			if c == '"' {
				w.w.WriteByte('"')
			}
			w.w.WriteByte(c)
		}
		w.w.WriteByte('"')
	}
	// bufio.Writer errors are sticky: the last write reports any earlier one.
	return w.w.WriteByte('\n')
}

func (w *csvTableWriter) close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.w.Flush()
	if err == nil {
		err = w.f.Sync()
	}
	return errors.Join(err, w.f.Close())
}

// fieldNeedsQuotes mirrors encoding/csv: a field is quoted when it holds the
// separator, a quote or a line break, begins with a space, or is `\.`.
func fieldNeedsQuotes(field []byte) bool {
	if len(field) == 0 {
		return false
	}
	if string(field) == `\.` {
		return true
	}
	for _, c := range field {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			return true
		}
	}
	r, _ := utf8.DecodeRune(field)
	return unicode.IsSpace(r)
}
