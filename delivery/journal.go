package delivery

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/kpireport/kpireport/ledger"
)

// Journal is a local file of delivery facts that the ledger could not take: a
// message the server accepted (250) while the ledger was locked or down. Each
// fact is one JSON line, appended and fsync'd before Deliver goes on. Until a
// fact is replayed into the ledger (Replay: at the next start, and before every
// Deliver sends anything), its recipient counts as sent (Sent), so the report is
// never mailed twice. Processes of one machine share the file under an flock.
type Journal struct {
	path string
	mu   sync.Mutex // within the process; the flock is between processes
}

// JournalEntry is one fact in the Journal.
type JournalEntry struct {
	Delivery  int64                 `json:"delivery"` // the ledger's delivery id
	Job       string                `json:"job"`
	Period    string                `json:"period"`
	Recipient string                `json:"recipient"`
	Status    ledger.DeliveryStatus `json:"status"`
	Error     string                `json:"error,omitempty"`
	At        time.Time             `json:"at"`
	Files     []ledger.SentFile     `json:"files,omitempty"`
}

// NewJournal returns the journal at path; the file is created by the first
// Append.
func NewJournal(path string) *Journal { return &Journal{path: path} }

// Path returns the journal's file.
func (j *Journal) Path() string { return j.path }

// lock takes the journal's locks: the process's mutex and an exclusive flock
// on path+".lock". The returned function releases them.
func (j *Journal) lock() (func(), error) {
	j.mu.Lock()
	if err := os.MkdirAll(filepath.Dir(j.path), 0o750); err != nil {
		j.mu.Unlock()
		return nil, err
	}
	f, err := os.OpenFile(j.path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		j.mu.Unlock()
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		j.mu.Unlock()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
		j.mu.Unlock()
	}, nil
}

// Append adds e to the journal and syncs the file (and, when it creates the
// file, its folder) to disk before it returns.
func (j *Journal) Append(e JournalEntry) error {
	wrap := func(err error) error { return fmt.Errorf("delivery journal %s: append: %w", j.path, err) }
	line, err := json.Marshal(e)
	if err != nil {
		return wrap(err)
	}
	unlock, err := j.lock()
	if err != nil {
		return wrap(err)
	}
	defer unlock()
	_, statErr := os.Stat(j.path)
	f, err := os.OpenFile(j.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return wrap(err)
	}
	_, werr := f.Write(append(line, '\n'))
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return wrap(err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		if err := syncDir(filepath.Dir(j.path)); err != nil {
			return wrap(err)
		}
	}
	return nil
}

// Entries returns the facts in the journal, oldest first; none when there is no
// file.
func (j *Journal) Entries() ([]JournalEntry, error) {
	unlock, err := j.lock()
	if err != nil {
		return nil, fmt.Errorf("delivery journal %s: %w", j.path, err)
	}
	defer unlock()
	return j.read()
}

func (j *Journal) read() ([]JournalEntry, error) {
	b, err := os.ReadFile(j.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("delivery journal %s: %w", j.path, err)
	}
	var es []JournalEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e JournalEntry
		if err := json.Unmarshal(line, &e); err != nil {
			// A line cut short by a crash during Append: its fact was never
			// acknowledged, the ledger still has the delivery queued.
			continue
		}
		es = append(es, e)
	}
	return es, sc.Err()
}

// Sent returns the recipients (ledger keys) that the journal has as sent for
// job and period: they have the report even if the ledger does not know yet.
func (j *Journal) Sent(job, period string) (map[string]bool, error) {
	es, err := j.Entries()
	if err != nil {
		return nil, err
	}
	sent := map[string]bool{}
	for _, e := range es {
		if e.Job == job && e.Period == period && e.Status == ledger.DeliverySent {
			sent[e.Recipient] = true
		}
	}
	return sent, nil
}

// Replay writes the journal's facts into l and removes those l took (or had
// already: ErrAlreadySent; or no longer knows: ErrDeliveryNotFound). Facts it
// cannot write stay in the journal for the next Replay. It returns how many
// facts were replayed and how many are left.
func (j *Journal) Replay(ctx context.Context, l *ledger.Ledger) (replayed, left int, err error) {
	unlock, err := j.lock()
	if err != nil {
		return 0, 0, fmt.Errorf("delivery journal %s: replay: %w", j.path, err)
	}
	defer unlock()
	es, err := j.read()
	if err != nil || len(es) == 0 {
		return 0, 0, err
	}
	var keep []JournalEntry
	var errs []error
	for _, e := range es {
		err := l.RecordAttempt(ctx, ledger.Attempt{ID: e.Delivery, Status: e.Status, Error: e.Error, At: e.At, Files: e.Files})
		switch {
		case err == nil, errors.Is(err, ledger.ErrAlreadySent), errors.Is(err, ledger.ErrDeliveryNotFound):
			replayed++
		default:
			keep = append(keep, e)
			errs = append(errs, err)
		}
	}
	if err := j.rewrite(keep); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return replayed, len(keep), fmt.Errorf("delivery journal %s: replay: %w", j.path, errors.Join(errs...))
	}
	return replayed, len(keep), nil
}

// rewrite replaces the journal by es (temp file, fsync, rename), or removes it
// when es is empty.
func (j *Journal) rewrite(es []JournalEntry) error {
	dir := filepath.Dir(j.path)
	if len(es) == 0 {
		if err := os.Remove(j.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return syncDir(dir)
	}
	var b bytes.Buffer
	for _, e := range es {
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		b.Write(append(line, '\n'))
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(j.path)+".*.tmp")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b.Bytes())
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return errors.Join(err, os.Remove(tmp.Name()))
	}
	if err := os.Rename(tmp.Name(), j.path); err != nil {
		return errors.Join(err, os.Remove(tmp.Name()))
	}
	return syncDir(dir)
}

// syncDir syncs a folder, so that a file created, renamed or removed in it
// survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
