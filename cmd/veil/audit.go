package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/veil-dev/veil/audit"
	"github.com/veil-dev/veil/config"
)

func auditUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: veil audit <verify|stats> [flags] [FILE...]")
	fmt.Fprintln(w, "\n  verify [FILE...]  check the hash chain; name every edited, deleted, inserted,")
	fmt.Fprintln(w, "                    reordered or truncated record")
	fmt.Fprintln(w, "  stats [FILE...]   requests by route, blocked count and reasons, findings by")
	fmt.Fprintln(w, "                    category, p50/p95 latency, per day")
	fmt.Fprintln(w, "\nFILEs may come in any order (audit.jsonl*); without FILEs, audit.path from the")
	fmt.Fprintln(w, "config and its rotated files (audit.jsonl.1 oldest) are read.")
	fmt.Fprintln(w, "\nexit codes: 0 ok, 1 broken chain (verify), 2 usage or runtime error")
	fmt.Fprintln(w, "run 'veil audit <verify|stats> --help' for flags")
}

func runAudit(e *env, args []string) int {
	if len(args) == 0 {
		auditUsage(e.stderr)
		return exitError
	}
	switch args[0] {
	case "-h", "--help", "help":
		auditUsage(e.stderr)
		return exitOK
	case "verify":
		return runAuditVerify(e, args[1:])
	case "stats":
		return runAuditStats(e, args[1:])
	}
	fmt.Fprintf(e.stderr, "veil audit: unknown subcommand %q\n\n", args[0])
	auditUsage(e.stderr)
	return exitError
}

// auditFiles returns the FILE arguments, or the configured log and its
// rotated files.
func auditFiles(e *env, cmd, configFile string, args []string) ([]string, bool) {
	if len(args) > 0 {
		return args, true
	}
	l, err := config.Load(config.LoadOptions{UserFile: configFile, Getenv: e.getenv})
	if err != nil {
		fmt.Fprintf(e.stderr, "veil audit %s: loading config: %v\n", cmd, err)
		return nil, false
	}
	files, err := audit.RotatedFiles(l.Config.Audit.Path)
	if err != nil {
		fmt.Fprintf(e.stderr, "veil audit %s: %v\n", cmd, err)
		return nil, false
	}
	if len(files) == 0 {
		fmt.Fprintf(e.stderr, "veil audit %s: no audit log at %s\n", cmd, l.Config.Audit.Path)
		return nil, false
	}
	return files, true
}

func runAuditVerify(e *env, args []string) int {
	fs := newFlagSet("audit verify", "[FILE...]", e)
	cfg := fs.String("config", "", "user config file, for audit.path when no FILE is given")
	if code, done := parse(fs, args); done {
		return code
	}
	files, ok := auditFiles(e, "verify", *cfg, fs.Args())
	if !ok {
		return exitError
	}
	rep, err := audit.Verify(files...)
	if err != nil {
		fmt.Fprintf(e.stderr, "veil audit verify: %v\n", err)
		return exitError
	}
	for _, b := range rep.Breaks {
		fmt.Fprintln(e.stdout, b)
	}
	span := "no records"
	if rep.Records > 0 {
		span = fmt.Sprintf("seq %d..%d", rep.First, rep.Last)
	}
	if !rep.OK() {
		fmt.Fprintf(e.stdout, "chain broken: %d break(s) in %d records (%s) across %d file(s)\n",
			len(rep.Breaks), rep.Records, span, len(rep.Files))
		return exitFindings
	}
	fmt.Fprintf(e.stdout, "chain ok: %d records (%s) across %d file(s)\n", rep.Records, span, len(rep.Files))
	return exitOK
}

func runAuditStats(e *env, args []string) int {
	fs := newFlagSet("audit stats", "[FILE...]", e)
	cfg := fs.String("config", "", "user config file, for audit.path when no FILE is given")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if code, done := parse(fs, args); done {
		return code
	}
	files, ok := auditFiles(e, "stats", *cfg, fs.Args())
	if !ok {
		return exitError
	}
	s, err := audit.Stats(files...)
	if err != nil {
		fmt.Fprintf(e.stderr, "veil audit stats: %v\n", err)
		return exitError
	}
	if *asJSON {
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			fmt.Fprintf(e.stderr, "veil audit stats: %v\n", err)
			return exitError
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		return exitOK
	}
	printStats(e.stdout, s, len(files))
	return exitOK
}

func printStats(out io.Writer, s audit.Summary, files int) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintf(w, "requests\t%d\n", s.Requests)
	if s.Requests > 0 {
		fmt.Fprintf(w, "period\t%s .. %s UTC\n", s.First.UTC().Format(time.DateTime), s.Last.UTC().Format(time.DateTime))
	}
	fmt.Fprintf(w, "files\t%d\n", files)
	if s.Skipped > 0 {
		fmt.Fprintf(w, "skipped lines\t%d (not records; run veil audit verify)\n", s.Skipped)
	}
	fmt.Fprintf(w, "blocked\t%d\n", s.Blocked)
	fmt.Fprintf(w, "bytes sent\t%d\n", s.BytesSent)
	fmt.Fprintf(w, "latency p50\t%.1f ms\n", s.LatencyP50)
	fmt.Fprintf(w, "latency p95\t%.1f ms\t(requests not blocked and not cancelled)\n", s.LatencyP95)
	section(w, "requests by route", s.ByRoute)
	section(w, "requests by outcome", s.ByOutcome)
	section(w, "blocked, by reason", s.BlockReasons)
	section(w, "upstream requests (wrap mode), by kind and outcome", s.Upstream)
	if s.UpstreamRefused > 0 {
		fmt.Fprintf(w, "\nupstream: %d file contents refused (attachments, tool results)\n", s.UpstreamRefused)
	}
	section(w, "findings by category", s.Findings)
	section(w, "findings by rule", s.Rules)
	if len(s.Days) > 0 {
		fmt.Fprintln(w, "\nper day (UTC)")
		fmt.Fprintln(w, "  date\trequests\tblocked\tfindings\tp50 ms\tp95 ms")
		for _, d := range s.Days {
			fmt.Fprintf(w, "  %s\t%d\t%d\t%d\t%.1f\t%.1f\n", d.Date, d.Requests, d.Blocked, d.Findings, d.LatencyP50, d.LatencyP95)
		}
	}
}

// section prints a count map, largest first, then by key.
func section(w io.Writer, title string, m map[string]int) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	fmt.Fprintf(w, "\n%s\n", title)
	for _, k := range keys {
		if k == "" {
			fmt.Fprintf(w, "  %d\t(none)\n", m[k])
			continue
		}
		fmt.Fprintf(w, "  %d\t%s\n", m[k], k)
	}
}
