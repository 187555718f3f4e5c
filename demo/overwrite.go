package demo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Marker is the first line of every config Generate writes. Generate overwrites a
// config only when its first line starts with Marker (or with the first line of
// older demo configs), so that it never replaces a config of someone's own.
const Marker = "# written by kpireport demo"

// legacyMarker starts the first line of the configs of earlier versions.
const legacyMarker = "# Demo company written by `kpireport demo`"

// checkOverwrite returns an error wrapping ErrNotDemo when Generate with opt would
// replace a file it did not write: Dir/kpireport.toml without the Marker line, or a
// data file (data/kpireport.db, data/<table>.csv) in a folder that has no demo
// config. The data of a folder whose config is the demo's is the demo's too.
// opt.Force allows both.
func checkOverwrite(opt Options) error {
	if opt.Force {
		return nil
	}
	cfg := filepath.Join(opt.Dir, "kpireport.toml")
	first, err := firstLine(cfg)
	switch {
	case err == nil && (strings.HasPrefix(first, Marker) || strings.HasPrefix(first, legacyMarker)):
		return nil
	case err == nil:
		return notDemoError(fmt.Sprintf("%s exists and was not written by kpireport demo (its first line is not %q); choose another --dir, or pass --force to overwrite it",
			cfg, Marker))
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("check %s: %w", cfg, err)
	}
	var data []string
	if opt.Format == FormatCSV {
		for _, t := range tables {
			data = append(data, filepath.Join(opt.Dir, "data", t.name+".csv"))
		}
	} else {
		data = append(data, filepath.Join(opt.Dir, "data", "kpireport.db"))
	}
	for _, p := range data {
		if _, err := os.Lstat(p); err == nil {
			return notDemoError(fmt.Sprintf("%s exists and was not written by kpireport demo (%s, which would say so, is missing); choose another --dir, or pass --force to overwrite it",
				p, cfg))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("check %s: %w", p, err)
		}
	}
	return nil
}

// firstLine returns the first line of the file at path.
func firstLine(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		return "", fmt.Errorf("%s is a folder", path)
	}
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// notDemoError is ErrNotDemo with the file and what to do, as the whole message.
type notDemoError string

func (e notDemoError) Error() string        { return string(e) }
func (e notDemoError) Is(target error) bool { return target == ErrNotDemo }
