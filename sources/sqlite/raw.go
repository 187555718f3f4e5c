package sqlite

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// rawConn is a read-only connection of its own to the database that reads rows
// through SQLite's C API, for the parallel readers: opened without SQLite's mutex,
// as one goroutine uses it, and giving each TEXT value as a view of SQLite's memory,
// where the driver would take a mutex per call and copy each value into a new
// string. Its values are the text cell.Scan makes of the driver's values, as long as
// the driver does not turn them into times: only columns not declared DATE,
// DATETIME or TIMESTAMP may be read with it (see query.raw).
type rawConn struct {
	tls *libc.TLS
	db  uintptr
}

// openRaw opens the database at path read-only.
func openRaw(path string) (_ *rawConn, err error) {
	c := &rawConn{tls: libc.NewTLS()}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.close())
		}
	}()
	name, err := libc.CString("file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro")
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, name)
	pdb := c.tls.Alloc(int(unsafe.Sizeof(uintptr(0))))
	defer c.tls.Free(int(unsafe.Sizeof(uintptr(0))))
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, pdb, sqlite3.SQLITE_OPEN_READONLY|sqlite3.SQLITE_OPEN_NOMUTEX|sqlite3.SQLITE_OPEN_URI, 0)
	c.db = *(*uintptr)(at(pdb))
	if rc != sqlite3.SQLITE_OK {
		return nil, c.err(rc)
	}
	return c, nil
}

// close closes the connection.
func (c *rawConn) close() error {
	var err error
	if c.db != 0 {
		if rc := sqlite3.Xsqlite3_close_v2(c.tls, c.db); rc != sqlite3.SQLITE_OK {
			err = c.err(rc)
		}
	}
	c.tls.Close()
	return err
}

// err returns the error of the result code rc.
func (c *rawConn) err(rc int32) error {
	msg := ""
	if c.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
	}
	if msg == "" {
		msg = libc.GoString(sqlite3.Xsqlite3_errstr(c.tls, rc))
	}
	return fmt.Errorf("%s (%d)", msg, rc)
}

// query runs query with the integer parameters args, calls columns with the names of
// its columns and then row for every row, numbered from 1, with its values as text,
// which are valid until row returns. It returns ctx's error when ctx is cancelled.
func (c *rawConn) query(ctx context.Context, query string, args []int64, columns func(names []string) error, row func(n int64, fields [][]byte) error) (err error) {
	zSQL, err := libc.CString(query)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, zSQL)
	pstmt := c.tls.Alloc(int(unsafe.Sizeof(uintptr(0))))
	rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, zSQL, -1, pstmt, 0)
	stmt := *(*uintptr)(at(pstmt))
	c.tls.Free(int(unsafe.Sizeof(uintptr(0))))
	if rc != sqlite3.SQLITE_OK {
		return c.err(rc)
	}
	defer func() {
		if rc := sqlite3.Xsqlite3_finalize(c.tls, stmt); rc != sqlite3.SQLITE_OK && err == nil {
			err = c.err(rc)
		}
	}()
	for i, v := range args {
		if rc := sqlite3.Xsqlite3_bind_int64(c.tls, stmt, int32(i+1), v); rc != sqlite3.SQLITE_OK {
			return c.err(rc)
		}
	}
	names := make([]string, sqlite3.Xsqlite3_column_count(c.tls, stmt))
	for i := range names {
		names[i] = libc.GoString(sqlite3.Xsqlite3_column_name(c.tls, stmt, int32(i)))
	}
	if err := columns(names); err != nil {
		return err
	}
	bufs := make([][]byte, len(names))
	fields := make([][]byte, len(names))
	for n := int64(1); ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		switch rc := sqlite3.Xsqlite3_step(c.tls, stmt); rc {
		case sqlite3.SQLITE_ROW:
		case sqlite3.SQLITE_DONE:
			return nil
		default:
			return c.err(rc)
		}
		for i := range fields {
			col := int32(i)
			b := bufs[i][:0]
			switch sqlite3.Xsqlite3_column_type(c.tls, stmt, col) {
			case sqlite3.SQLITE_INTEGER:
				b = strconv.AppendInt(b, sqlite3.Xsqlite3_column_int64(c.tls, stmt, col), 10)
				bufs[i] = b
			case sqlite3.SQLITE_FLOAT:
				b = strconv.AppendFloat(b, sqlite3.Xsqlite3_column_double(c.tls, stmt, col), 'f', -1, 64)
				bufs[i] = b
			case sqlite3.SQLITE_TEXT:
				b = view(sqlite3.Xsqlite3_column_text(c.tls, stmt, col), sqlite3.Xsqlite3_column_bytes(c.tls, stmt, col), b)
			case sqlite3.SQLITE_BLOB:
				b = view(sqlite3.Xsqlite3_column_blob(c.tls, stmt, col), sqlite3.Xsqlite3_column_bytes(c.tls, stmt, col), b)
			}
			fields[i] = b
		}
		if err := row(n, fields); err != nil {
			return err
		}
	}
}

// view returns the n bytes at p, in SQLite's memory, or empty when there are none.
func view(p uintptr, n int32, empty []byte) []byte {
	if p == 0 || n <= 0 {
		return empty
	}
	return unsafe.Slice((*byte)(at(p)), n)
}

// at returns p, an address in SQLite's memory (outside Go's heap), as a pointer.
func at(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }
