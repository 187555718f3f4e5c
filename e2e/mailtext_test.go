package e2e

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
)

// mailText returns the decoded text of every text part of a mail (quoted-printable
// undone, as a reader sees it), the parts separated by blank lines.
func mailText(t *testing.T, data []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var walk func(ctype string, body io.Reader)
	walk = func(ctype string, body io.Reader) {
		media, params, err := mime.ParseMediaType(ctype)
		if err != nil {
			media = "text/plain"
		}
		if !strings.HasPrefix(media, "multipart/") {
			if strings.HasPrefix(media, "text/") {
				b, err := io.ReadAll(body)
				if err != nil {
					t.Fatal(err)
				}
				out.Write(b)
				out.WriteString("\n\n")
			}
			return
		}
		r := multipart.NewReader(body, params["boundary"]) // undoes quoted-printable
		for {
			part, err := r.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			walk(part.Header.Get("Content-Type"), part)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Body)
	return out.String()
}
