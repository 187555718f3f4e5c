package decode

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/kpireport/kpireport/sources"
)

// Charset converts text of a single-byte encoding to UTF-8. Its bytes below 0x80 are
// ASCII, so CSV delimiters, quotes and line ends are the same bytes as in UTF-8 and
// the conversion can be made field by field, after the split.
type Charset struct {
	name string
	utf8 [256][4]byte // UTF-8 of each byte
	size [256]uint8
	bad  [256]bool // bytes that are no character of the encoding
}

// CharsetOf returns the charset of the encoding name (one of sources.Encodings), or
// nil for "utf-8", which needs no conversion.
func CharsetOf(name string) (*Charset, error) {
	var m *charmap.Charmap
	switch name {
	case "", "utf-8":
		return nil, nil
	case "windows-1252":
		m = charmap.Windows1252
	case "iso-8859-1":
		m = charmap.ISO8859_1
	default:
		return nil, fmt.Errorf("encoding %q is not supported", name)
	}
	cs := &Charset{name: name}
	for b := range 256 {
		r := m.DecodeByte(byte(b))
		cs.size[b] = uint8(utf8.EncodeRune(cs.utf8[b][:], r))
		// Windows-1252 leaves five bytes undefined (charmap gives U+FFFD); in
		// ISO-8859-1 0x80–0x9F are C1 controls, which no export means as text: a file
		// that has them is Windows-1252.
		cs.bad[b] = r == utf8.RuneError || (r >= 0x80 && r <= 0x9F)
	}
	return cs, nil
}

// Name returns the encoding's name.
func (cs *Charset) Name() string { return cs.name }

// Append appends the UTF-8 text of src to dst.
func (cs *Charset) Append(dst, src []byte) []byte {
	for _, c := range src {
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, cs.utf8[c][:cs.size[c]]...)
	}
	return dst
}

// invalid returns the byte offset and value of the first byte of src that is no
// character of the encoding, and the number of characters before it; offset is -1
// when every byte is one.
func (cs *Charset) invalid(src []byte) (offset int, bad byte) {
	for i, c := range src {
		if cs.bad[c] {
			return i, c
		}
	}
	return -1, 0
}

// error returns the error of value b, which holds a byte at offset that is no
// character of the encoding.
func (cs *Charset) error(b []byte, offset int) error {
	fix := "the file is in another encoding: check source.encoding"
	if cs.name == "iso-8859-1" {
		fix = `it is a control character in ISO-8859-1; files from Excel are Windows-1252: set source.encoding = "windows-1252"`
	}
	return &valueError{fmt.Sprintf("%s has byte 0x%02X at character %d, which is no character of %s: %s",
		quote(cs.Append(nil, b)), b[offset], offset+1, cs.name, fix), sources.ErrEncoding}
}

// ascii reports whether b has only ASCII bytes.
func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// invalidUTF8 returns the byte offset and the value of the first byte of b that is
// not part of valid UTF-8, and the number of characters before it.
func invalidUTF8(b []byte) (offset int, bad byte, chars int) {
	for offset < len(b) {
		r, size := utf8.DecodeRune(b[offset:])
		if r == utf8.RuneError && size <= 1 {
			return offset, b[offset], chars
		}
		offset += size
		chars++
	}
	return -1, 0, chars
}
