// Package reports renders a computed kpi.Report into the files people read: an Excel
// workbook that finance can audit (live formulas over the base measures) and a PDF
// that management can read (KPI cards, trend charts, tables, notes and definitions),
// laid out by TOML templates in English or Dutch. It never reads sources.
package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kpireport/kpireport/kpi"
)

// The output formats.
const (
	FormatXLSX = "xlsx"
	FormatPDF  = "pdf"
)

// DefaultFilename is the base-name template of report files.
const DefaultFilename = "{{job}}-{{period}}"

// Options say which files Generate writes, where, and how.
type Options struct {
	Dir         string   // output folder, created if missing
	Formats     []string // "xlsx", "pdf"; in this order in the result
	Filename    string   // base name; {{job}}, {{period}}, {{company}}. Default: DefaultFilename
	TemplateDir string   // folder whose files replace the built-in templates; "" = built-in only
	Template    string   // report template name; "" = the one of the period kind ("month", ...)
	Logo        string   // optional PNG or JPEG for the PDF header
	// Fonts are TrueType files ([report] fonts) the PDF draws the characters with
	// that DejaVu Sans lacks, the first that has a character wins.
	Fonts []string
	// Logger gets the warnings of rendering (characters no font has). Default: none.
	Logger *slog.Logger
	// Now gives the generation time when the report has none (rep.GeneratedAt is
	// zero). Default: time.Now.
	Now func() time.Time
}

// File is one file Generate wrote.
type File struct {
	Format string // "xlsx" or "pdf"
	Path   string
	Bytes  int64
	SHA256 string // hex
	// Data are the bytes rendered, as written to Path: a mail attaches these, not
	// what is at Path by the time it goes out (another run may have rewritten it).
	Data []byte
}

// Generate renders rep in every format of opt into opt.Dir. It renders all files to
// temporary files in that folder first and renames them to their names only when all
// have been written, so a failed run leaves no partial or temporary file. The names
// come from opt.Filename, sanitized: no path separators or ".." from data.
func Generate(ctx context.Context, rep *kpi.Report, opt Options) ([]File, error) {
	if len(opt.Formats) == 0 {
		return nil, fmt.Errorf("%w: no format given; one or more of %q, %q", ErrFormat, FormatXLSX, FormatPDF)
	}
	for i, f := range opt.Formats {
		if f != FormatXLSX && f != FormatPDF {
			return nil, fmt.Errorf("%w: %q; one of %q, %q", ErrFormat, f, FormatXLSX, FormatPDF)
		}
		if slices.Index(opt.Formats, f) != i {
			return nil, fmt.Errorf("%w: %q is listed twice", ErrFormat, f)
		}
	}
	if rep.GeneratedAt.IsZero() {
		now := opt.Now
		if now == nil {
			now = time.Now
		}
		r := *rep
		r.GeneratedAt = now()
		rep = &r
	}
	t, err := LoadTemplate(opt.TemplateDir, opt.Template, rep.Period.Kind)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("generate reports: %w", err)
	}
	filename := opt.Filename
	if filename == "" {
		filename = DefaultFilename
	}
	base := expandFilename(filename, rep)

	var temps []string
	defer func() {
		for _, tmp := range temps {
			os.Remove(tmp) // gone already after a rename
		}
	}()
	files := make([]File, 0, len(opt.Formats))
	for _, format := range opt.Formats {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("generate reports: %w", err)
		}
		render := func(w io.Writer) error { return RenderXLSX(w, rep, t) }
		if format == FormatPDF {
			render = func(w io.Writer) error {
				return RenderPDFOptions(w, rep, t, PDFOptions{Logo: opt.Logo, Fonts: opt.Fonts, Logger: opt.Logger})
			}
		}
		tmp, file, err := writeTemp(opt.Dir, base+"."+format, render)
		if tmp != "" {
			temps = append(temps, tmp)
		}
		if err != nil {
			return nil, fmt.Errorf("generate %s: %w", format, err)
		}
		file.Format = format
		files = append(files, file)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("generate reports: %w", err)
	}
	for i := range files {
		if err := os.Rename(temps[i], files[i].Path); err != nil {
			return nil, fmt.Errorf("generate reports: %w", err)
		}
	}
	return files, nil
}

// writeTemp renders into a new temporary file in dir, for the final name name, and
// returns the temporary file's path and the File it will become. When rendering
// fails, or panics, the temporary file is removed (and a panic goes on up).
func writeTemp(dir, name string, render func(io.Writer) error) (tmp string, _ File, err error) {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return "", File{}, err
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
			tmp = ""
		}
	}()
	h := sha256.New()
	var data bytes.Buffer
	w := &countWriter{w: io.MultiWriter(f, h, &data)}
	err = render(w)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Chmod(0o644), f.Close()); err != nil {
		return "", File{}, err
	}
	done = true
	return f.Name(), File{Path: filepath.Join(dir, name), Bytes: w.n, SHA256: hex.EncodeToString(h.Sum(nil)), Data: data.Bytes()}, nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// dataEnd is the instant the report's data reaches, the date of the files it renders:
// the end of the period (for a "to date" report, the end of its last day), or the end
// of the watermark's day when the data-quality gate found the data to end before that.
// It depends only on the data, so rendering the same data twice gives the same bytes.
func dataEnd(rep *kpi.Report) time.Time {
	end := rep.End
	if rep.Incomplete() {
		y, m, d := rep.AsOf.In(rep.Start.Location()).Date()
		end = time.Date(y, m, d+1, 0, 0, 0, 0, rep.Start.Location())
	}
	if q := rep.Quality; q != nil && q.HasData && q.Reaches.After(rep.Start) && q.Reaches.Before(end) {
		end = q.Reaches
	}
	return end
}
