package reports

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/locale"
)

// needTool returns the path of a command the test needs. Outside CI a missing tool
// skips the test; in CI (CI=true) it fails it, because .ci/run installs the tools.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (Debian package %s), and CI=true", name, pkg)
	}
	t.Skipf("skipped: %s is not installed; apt-get install %s to run this test", name, pkg)
	return ""
}

// recalcProfile is a LibreOffice user profile that recalculates every formula of an
// .xlsx on load instead of showing the cached values.
const recalcProfile = `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
`

// csvFilter writes one CSV per sheet with raw (not formatted) values, UTF-8.
const csvFilter = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"

// TestLibreOfficeRecalculates is the independent reader: LibreOffice recalculates the
// workbook, whose cached formula results were first set to 0, and its Summary must
// hold the engine's values. A wrong formula fails this test.
func TestLibreOfficeRecalculates(t *testing.T) {
	soffice := needTool(t, "soffice", "libreoffice-calc-nogui")
	dir := t.TempDir()
	profile := filepath.Join(dir, "profile")
	if err := os.MkdirAll(filepath.Join(profile, "user"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(profile, "user", "registrymodifications.xcu"), []byte(recalcProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	reps := map[string]*kpi.Report{}
	args := []string{"-env:UserInstallation=file://" + filepath.ToSlash(profile), "--headless", "--norestore", "--convert-to", csvFilter, "--outdir", filepath.Join(dir, "out")}
	for _, lang := range locale.Languages {
		reps[lang] = fixtureReport(t, lang)
		book := filepath.Join(dir, "book-"+lang+".xlsx")
		if err := os.WriteFile(book, zeroCachedResults(t, renderXLSX(t, reps[lang])), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, book)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	for _, lang := range locale.Languages {
		t.Run(lang, func(t *testing.T) {
			rep := reps[lang]
			names := sheetNames[lang]
			rows := readCSV(t, filepath.Join(dir, "out", "book-"+lang+"-"+names[0]+".csv"))
			seen := 0
			for _, row := range rows {
				if len(row) < 10 {
					continue
				}
				r, ok := rep.KPI(row[9])
				if !ok {
					continue
				}
				seen++
				for i, c := range engineColumns {
					compareCSV(t, row[1+i], c.value(r), r.Def.ID+" "+c.col)
				}
			}
			if seen != len(kpi.Defs) {
				t.Errorf("LibreOffice's Summary has %d KPI rows, want %d", seen, len(kpi.Defs))
			}
			for i, dims := range [][]kpi.DimMeasures{rep.ByRep, rep.ByRegion} {
				rows := readCSV(t, filepath.Join(dir, "out", "book-"+lang+"-"+names[3+i]+".csv"))
				total := dimTotal(dims)
				last := rows[len(dims)+1]
				compareCSV(t, last[1], kpi.Exact(total.Revenue.Rat()), names[3+i]+" total revenue")
				compareCSV(t, last[3], kpi.Exact(new(big.Rat).Quo(total.Revenue.Rat(), big.NewRat(total.SalesCount, 1))), names[3+i]+" total AOV")
			}
		})
	}
}

// zeroCachedResults sets the cached result of every formula in workbook b to 0, so
// that only a recalculation shows the right numbers.
func zeroCachedResults(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	cached := regexp.MustCompile(`(<f>[^<]*</f>)<v>[^<]*</v>`)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	zeroed := 0
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		x, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(zf.Name, "xl/worksheets/") {
			zeroed += len(cached.FindAll(x, -1))
			x = cached.ReplaceAll(x, []byte("${1}<v>0</v>"))
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(x); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if zeroed < 20 {
		t.Fatalf("only %d formulas with cached results", zeroed)
	}
	return out.Bytes()
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// compareCSV compares a raw CSV value of LibreOffice ("0.125", "12.5%", "") with the
// engine's value.
func compareCSV(t *testing.T, s string, want kpi.Value, what string) {
	t.Helper()
	if !want.OK() {
		if s != "" {
			t.Errorf("%s: LibreOffice %q, engine n/a", what, s)
		}
		return
	}
	scale := 1.0
	if p, ok := strings.CutSuffix(s, "%"); ok {
		s, scale = p, 0.01
	}
	got, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Errorf("%s: LibreOffice %q is not a number (engine %s)", what, s, want.V.FloatString(6))
		return
	}
	if !near(got*scale, want.V) {
		t.Errorf("%s: LibreOffice %v, engine %s", what, got*scale, want.V.FloatString(10))
	}
}
