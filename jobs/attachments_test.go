package jobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"strings"
	"testing"

	"github.com/kpireport/kpireport/delivery"
	"github.com/kpireport/kpireport/ledger"
)

// A plain generate of the period during a slow send rewrites the report files: every
// recipient still gets the bytes this run rendered, and the ledger records, per
// recipient, the SHA-256 of what it got.
func TestSendAttachesWhatItRendered(t *testing.T) {
	cfg := testConfig(t)
	job := onlyJob(cfg, "monthly", "0 7 1 * *", "none")
	job.Formats = []string{"xlsx", "pdf"}
	svc, err := OpenService(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	outbox := svc.Deliverer.Sender.(*delivery.Outbox)
	var rewritten []string
	svc.Deliverer.Sender = senderFunc(func(ctx context.Context, m *delivery.Message, rcpt, id string) (bool, error) {
		retry, err := outbox.Send(ctx, m, rcpt, id)
		if len(rewritten) == 0 {
			// Another generate of the period replaces the files after the first mail.
			for _, a := range m.Attachments {
				if err := os.WriteFile(a.Path, []byte("rewritten by another run"), 0o644); err != nil {
					t.Error(err)
				}
				rewritten = append(rewritten, a.Path)
			}
		}
		return retry, err
	})
	p, err := svc.Runner.Period(job, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Run(context.Background(), job, p, RunOptions{Trigger: ledger.TriggerManual, Send: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rewritten) != 2 {
		t.Fatalf("the files were not rewritten during the send: %v", rewritten)
	}
	rendered := map[string]string{} // name → SHA-256 of the bytes the run rendered
	for _, f := range res.Files {
		rendered[f.Path[strings.LastIndexByte(f.Path, '/')+1:]] = f.SHA256
	}
	ds, err := svc.Ledger.Deliveries(context.Background(), job.Name, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 3 {
		t.Fatalf("%d deliveries, want 3", len(ds))
	}
	for _, d := range ds {
		got := mailAttachments(t, outbox.Path(job.Name, "2026-10", d.Recipient))
		sums := map[string]string{}
		for name, data := range got {
			sum := sha256.Sum256(data)
			sums[name] = hex.EncodeToString(sum[:])
		}
		if !maps.Equal(sums, rendered) {
			t.Errorf("%s got attachments %v, want the rendered %v", d.Recipient, sums, rendered)
		}
		recorded := map[string]string{}
		for _, f := range d.Files {
			recorded[f.Name] = f.SHA256
		}
		if d.Status != ledger.DeliverySent || !maps.Equal(recorded, rendered) {
			t.Errorf("ledger: %s %s with files %v, want sent with %v", d.Recipient, d.Status, d.Files, rendered)
		}
	}
}

// mailAttachments reads the .eml at path and returns its attachments, name → bytes.
func mailAttachments(t *testing.T, path string) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var walk func(ctype string, body io.Reader)
	walk = func(ctype string, body io.Reader) {
		media, params, err := mime.ParseMediaType(ctype)
		if err != nil || !strings.HasPrefix(media, "multipart/") {
			return
		}
		r := multipart.NewReader(body, params["boundary"])
		for {
			part, err := r.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name := part.FileName(); name != "" {
				var content io.Reader = part
				if strings.EqualFold(part.Header.Get("Content-Transfer-Encoding"), "base64") {
					content = base64.NewDecoder(base64.StdEncoding, part)
				}
				data, err := io.ReadAll(content)
				if err != nil {
					t.Fatal(err)
				}
				files[name] = data
				continue
			}
			walk(part.Header.Get("Content-Type"), part)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Body)
	if len(files) == 0 {
		t.Fatalf("%s has no attachments", path)
	}
	return files
}
