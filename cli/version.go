package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

var versionCmd = &command{
	name:    "version",
	summary: "print the version and source revision of this build (also: kpireport --version)",
	usage:   "version",
	help: `
Prints the module version of kpireport, the VCS revision it was built from (with
"+dirty" when the work tree had changes not committed), the commit time and the Go
version, from the build information Go records in the binary.`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		return func(_ context.Context, e *env, _ []string) error {
			printVersion(e.stdout, readBuildInfo())
			return nil
		}
	},
}

// readBuildInfo is debug.ReadBuildInfo; a test may replace it.
var readBuildInfo = func() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// printVersion prints one line: "kpireport VERSION (revision REV[+dirty], TIME) GOVERSION".
// A build without module or VCS information (go run, a test binary) says "unknown".
func printVersion(w io.Writer, bi *debug.BuildInfo) {
	version, rev, when, dirty, goVersion := "unknown", "unknown", "", false, runtime.Version()
	if bi != nil {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			version = v
		} else if v == "(devel)" {
			version = "devel"
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if dirty {
		rev += "+dirty"
	}
	if when != "" {
		rev += ", " + when
	}
	fmt.Fprintf(w, "kpireport %s (revision %s) %s\n", version, rev, goVersion)
}
