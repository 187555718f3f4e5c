// Package cli is kpireport's command line: it parses commands and flags, calls the
// jobs, and maps errors to exit codes (0 ok, 1 failure, 2 usage).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/kpireport/kpireport/config"
	"github.com/kpireport/kpireport/internal/panics"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// env is what a command runs with.
type env struct {
	stdout, stderr io.Writer
	logLevel       slog.Level
}

// logger returns a text logger on stderr at the command's level.
func (e *env) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: e.logLevel}))
}

type command struct {
	name    string
	summary string
	usage   string // the synopsis after "kpireport "
	help    string // what it does, in a few lines
	flags   func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

var commands = []*command{kpisCmd, generateCmd, runCmd, backfillCmd, historyCmd, nextCmd, validateCmd, demoCmd, versionCmd}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// Main runs kpireport with args (without the program name) and returns the exit code:
// 0 ok, 1 failure, 2 usage error. Each error is one line on stderr, said once; a
// panic is an error too (exit 1), never a crash.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(stderr, "kpireport: %s\n", oneLine(panics.New(v).Error()))
			code = ExitFailure
		}
	}()
	e := &env{stdout: stdout, stderr: stderr, logLevel: slog.LevelWarn}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" && len(args) == 1 {
		printUsage(stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	name := args[0]
	if name == "help" {
		name, args = args[1], []string{args[1], "--help"}
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "kpireport: unknown command %q (see kpireport --help)\n", name)
		return ExitUsage
	}
	fs := flag.NewFlagSet("kpireport "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	verbose := fs.Bool("verbose", false, "log progress (debug level) on stderr")
	run := cmd.flags(fs)
	usage := func(err error) int {
		// One line, as every error: what is wrong, and where the usage is.
		fmt.Fprintf(stderr, "kpireport %s: %s (see kpireport %s --help)\n", cmd.name, oneLine(err.Error()), cmd.name)
		return ExitUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandUsage(stdout, cmd, fs)
			return ExitOK
		}
		return usage(err)
	}
	if fs.NArg() > 0 {
		return usage(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *verbose {
		e.logLevel = slog.LevelDebug
	}
	err := run(ctx, e, fs.Args())
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return usage(err)
	default:
		// One line per error: errors.Join puts each of several errors (every
		// problem of a config, every recipient not reached) on a line of its own.
		for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
			if strings.TrimSpace(line) != "" {
				fmt.Fprintf(stderr, "kpireport %s: %s\n", cmd.name, line)
			}
		}
		return ExitFailure
	}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `kpireport turns a company's sales data into KPI reports: an Excel workbook and a PDF,
computed exactly as docs/kpis.md defines, for a month, ISO week or quarter.

Usage:
  kpireport <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'kpireport <command> --help' for the flags of a command, and
'kpireport --version' for the version and revision of this build.
Exit codes: 0 ok, 1 failure, 2 usage error; each error is one line on stderr.
`)
}

func printCommandUsage(w io.Writer, cmd *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: kpireport %s\n\n%s\n\nFlags:\n", cmd.usage, strings.TrimSpace(cmd.help))
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// loadConfig loads the --config file; a missing flag is a usage error.
func loadConfig(path string, opts ...config.LoadOption) (*config.Config, error) {
	if path == "" {
		return nil, usagef("--config is required")
	}
	return config.Load(path, opts...)
}
