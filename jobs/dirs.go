package jobs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// CheckDir checks that dir, the folder of the config key key (report.output_dir,
// delivery.outbox_dir), can be created and written: it creates it, writes and
// removes a temporary file, and removes again the folders it created. The error
// names the key: `report.output_dir: mkdir /srv/afile: not a directory`.
func CheckDir(key, dir string) (err error) {
	missing := firstMissing(dir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	defer func() {
		if missing == "" {
			return
		}
		// Remove what was created, from dir up to the first folder that was
		// missing; os.Remove leaves a folder that is not empty (someone else's).
		for d := dir; ; d = filepath.Dir(d) {
			if rerr := os.Remove(d); rerr != nil && err == nil {
				err = fmt.Errorf("%s: %w", key, rerr)
			}
			if d == missing || d == filepath.Dir(d) {
				return
			}
		}
	}()
	f, err := os.CreateTemp(dir, ".kpireport-check-*.tmp")
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if err := errors.Join(f.Close(), os.Remove(f.Name())); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// firstMissing returns the outermost folder of dir that does not exist ("" when
// dir exists).
func firstMissing(dir string) string {
	missing := ""
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			return missing
		}
		missing = d
		if d == filepath.Dir(d) {
			return missing
		}
	}
}

// makeDir creates dir, the folder of key, for a run: its error names the key.
func makeDir(key, dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}
