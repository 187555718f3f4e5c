package sqlagg

import (
	"strconv"
	"strings"
	"time"
)

// Params collects the bind parameters of one statement while its text is written.
// Bind returns a marker that stands for the parameter in the text; when the statement
// is complete, its markers become the dialect's placeholders in the order they appear,
// so the text can be written in any order.
type Params struct {
	d    Dialect
	loc  *time.Location
	args []Arg
	keys map[string]int
}

// NewParams returns the parameters of a new statement for dialect d in zone loc.
func NewParams(d Dialect, loc *time.Location) *Params {
	return &Params{d: d, loc: loc, keys: make(map[string]int)}
}

// Location returns the report's time zone.
func (p *Params) Location() *time.Location { return p.loc }

// Bind adds a parameter holding v, of SQL type typ, and returns the text that stands
// for it. Binding the same non-empty key again returns the same parameter.
func (p *Params) Bind(key string, v any, typ string) string {
	if i, ok := p.keys[key]; ok && key != "" {
		return marker(i)
	}
	i := len(p.args)
	p.args = append(p.args, Arg{Value: v, Type: typ})
	if key != "" {
		p.keys[key] = i
	}
	return marker(i)
}

// markerByte delimits parameter markers. It cannot occur in SQL that a database accepts,
// and table names and queries that hold it are refused.
const markerByte = "\x00"

func marker(i int) string { return markerByte + strconv.Itoa(i) + markerByte }

// finish replaces the markers in query by placeholders and returns the statement's
// text and arguments in placeholder order.
func (p *Params) finish(query string) (string, []Arg) {
	var b strings.Builder
	var args []Arg
	numbers := make(map[int]int) // marker → placeholder number, when numbered
	for {
		i := strings.Index(query, markerByte)
		if i < 0 {
			b.WriteString(query)
			break
		}
		j := strings.Index(query[i+1:], markerByte) + i + 1
		id, _ := strconv.Atoi(query[i+1 : j])
		b.WriteString(query[:i])
		n, seen := numbers[id]
		if !seen || !p.d.Numbered() {
			args = append(args, p.args[id])
			n = len(args)
			numbers[id] = n
		}
		b.WriteString(p.d.Placeholder(n, p.args[id].Type))
		query = query[j+1:]
	}
	return b.String(), args
}

// SearchTree returns a CASE expression that finds by binary search how many of n
// ascending bounds a value is at or above, and yields leaf(k) for k bounds. less(i)
// is the condition "value < bound i". A subtree whose leaves are all the same is that
// leaf, so a tree that yields few different values stays small. The value must not be
// NULL (a NULL takes the ELSE branches): callers test for NULL first.
func SearchTree(n int, less func(i int) string, leaf func(k int) string) string {
	leaves := make([]string, n+1)
	for k := range leaves {
		leaves[k] = leaf(k)
	}
	var tree func(lo, hi int) string
	tree = func(lo, hi int) string {
		same := true
		for k := lo + 1; k <= hi && same; k++ {
			same = leaves[k] == leaves[lo]
		}
		if same {
			return leaves[lo]
		}
		// The answer is in [lo, hi]: at least lo bounds and at most hi bounds are at or
		// below the value. Bound mid-1 splits it.
		mid := (lo + hi + 1) / 2
		return "CASE WHEN " + less(mid-1) + " THEN " + tree(lo, mid-1) + " ELSE " + tree(mid, hi) + " END"
	}
	return tree(0, n)
}
