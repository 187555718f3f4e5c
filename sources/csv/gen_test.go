package csv

import (
	"bufio"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/kpireport/kpireport/period"
)

// writeSynthetic writes customers.csv and orders.csv of a synthetic company into dir,
// in the format of the demo data set: orders over the 27 months up to October 2026,
// local timestamps, two-decimal amounts with some refunds. With quoted, some reps and
// regions are quoted fields holding commas, quotes and line breaks. The same
// arguments always give the same files.
func writeSynthetic(t testing.TB, dir string, orders int, seed uint64, quoted bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 42))
	customers := max(orders/40, 1)
	first := period.FromYMD(2024, time.August, 1)
	days := int(period.FromYMD(2026, time.November, 1) - first)

	write := func(name string, fill func(w *bufio.Writer)) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fill(w)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var b []byte
	date := func(b []byte, d period.Date) []byte {
		y, m, day := d.YMD()
		b = strconv.AppendInt(b, int64(y), 10)
		b = append(b, '-', byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+day/10), byte('0'+day%10))
		return b
	}
	two := func(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
	cents := func(b []byte, c int64) []byte {
		if c < 0 {
			b = append(b, '-')
			c = -c
		}
		b = strconv.AppendInt(b, c/100, 10)
		return append(b, '.', byte('0'+c%100/10), byte('0'+c%10))
	}
	id := func(b []byte, prefix byte, n, width int) []byte {
		b = append(b, prefix, '-')
		s := strconv.Itoa(n)
		for i := len(s); i < width; i++ {
			b = append(b, '0')
		}
		return append(b, s...)
	}
	regions := []string{"north", "south", "east", "west", "central"}
	kinds := []string{"new", "repeat", "repeat", "repeat", "upsell", "cross_sell"}

	write("customers.csv", func(w *bufio.Writer) {
		w.WriteString("customer_id,name,segment,region,acquired_date,churned_date\n")
		for i := 1; i <= customers; i++ {
			acquired := first - 400 + period.Date(rng.IntN(days+400))
			b = id(b[:0], 'C', i, 6)
			b = append(b, ",Customer "...)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, ",smb,"...)
			b = append(b, regions[rng.IntN(len(regions))]...)
			b = append(b, ',')
			b = date(b, acquired)
			b = append(b, ',')
			if rng.IntN(5) == 0 {
				b = date(b, acquired+period.Date(30+rng.IntN(600)))
			}
			b = append(b, '\n')
			w.Write(b)
		}
	})
	write("orders.csv", func(w *bufio.Writer) {
		w.WriteString("order_id,customer_id,order_date,amount,cost,recurring,kind,rep,region\n")
		for i := 1; i <= orders; i++ {
			b = id(b[:0], 'O', i, 8)
			b = append(b, ',')
			b = id(b, 'C', 1+rng.IntN(customers), 6)
			b = append(b, ',')
			b = date(b, first+period.Date(rng.IntN(days)))
			sec := rng.IntN(86400)
			b = append(b, ' ')
			b = two(b, sec/3600)
			b = append(b, ':')
			b = two(b, sec/60%60)
			b = append(b, ':')
			b = two(b, sec%60)
			amount := int64(1000 + rng.IntN(200000))
			if rng.IntN(30) == 0 {
				amount = -amount / 4
			}
			b = append(b, ',')
			b = cents(b, amount)
			b = append(b, ',')
			b = cents(b, amount*int64(40+rng.IntN(30))/100)
			if rng.IntN(3) == 0 {
				b = append(b, ",true,"...)
			} else {
				b = append(b, ",false,"...)
			}
			b = append(b, kinds[rng.IntN(len(kinds))]...)
			b = append(b, ",rep-"...)
			b = two(b, rng.IntN(40))
			b = append(b, ',')
			switch r := rng.IntN(50); {
			case quoted && r == 0:
				b = append(b, "\"north, \"\"upper\"\"\nand lower\""...)
			case quoted && r == 1:
				b = append(b, "\"south\r\n\""...)
			case r == 2:
				// no region: the customer's region counts
			default:
				b = append(b, regions[r%len(regions)]...)
			}
			b = append(b, '\n')
			w.Write(b)
		}
	})
}
