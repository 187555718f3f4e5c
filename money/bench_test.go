package money

import "testing"

func BenchmarkParse(b *testing.B) {
	in := [][]byte{[]byte("1234.56"), []byte("-12.5"), []byte("987654.3210"), []byte("0.99")}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Parse(in[i%len(in)], '.'); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSumAdd(b *testing.B) {
	var s Sum
	a := MustParse("1234.56")
	for b.Loop() {
		s.Add(a)
	}
}
