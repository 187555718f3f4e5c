package cli

import (
	"fmt"
	"io"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
)

// printQuality writes, in lang, a line saying that rep covers its period only to
// date, and one warning per check of the data-quality gate the data fails:
// what a send of this report would be held for.
func printQuality(w io.Writer, rep *kpi.Report, lang string) {
	f := locale.New(lang, rep.Currency)
	if rep.Incomplete() {
		if lang == "nl" {
			fmt.Fprintf(w, "let op: %s is nog niet voorbij; dit overzicht loopt tot en met %s\n", f.Period(rep.Period), f.Date(rep.AsOf))
		} else {
			fmt.Fprintf(w, "note: %s has not ended; this report is to date: up to and including %s\n", f.Period(rep.Period), f.Date(rep.AsOf))
		}
	}
	if rep.Quality == nil {
		return
	}
	word := "warning"
	if lang == "nl" {
		word = "waarschuwing"
	}
	for _, is := range rep.Quality.Issues {
		fmt.Fprintf(w, "%s: %s %s: %s\n", word, rep.Job, rep.Period.Label(), is.Format(f))
	}
}
