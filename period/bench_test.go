package period

import (
	"testing"
	"time"
)

func BenchmarkDayParser(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		b.Fatal(err)
	}
	p := NewDayParser(loc)
	in := [][]byte{[]byte("2026-10-31 14:23:05"), []byte("2026-10-31"), []byte("2026-10-31T22:40:00Z"), []byte("2026-03-29T01:30:00+01:00")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := p.Parse(in[i%len(in)]); err != nil {
			b.Fatal(err)
		}
	}
}
