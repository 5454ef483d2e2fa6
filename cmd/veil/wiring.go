package main

import (
	"fmt"
	"strings"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/redact"
)

// detectorOptions maps the merged config onto the detector's options. It is
// the one place that does; veil lsp, scan, redact and policy explain share
// it so they find the same things.
func detectorOptions(c config.Config) redact.Options {
	return redact.Options{
		Extra:         c.Rules,
		Disable:       c.Detect.Disable,
		NoSecrets:     !c.Detect.Secrets,
		NoPII:         !c.Detect.PII,
		NoIdentifiers: !c.Detect.Identifiers,
		PrivateIPs:    c.Detect.PrivateIPs,
		Terms:         c.Identifiers.Terms,
		Patterns:      c.Identifiers.Patterns,
		AllowRegexes:  c.Allow.Regexes,
		AllowPaths:    c.Allow.Paths,
	}
}

// loadDetector loads the config for roots and builds its detector, for the
// commands that only scan (veil scan, veil redact). Config warnings go to
// e.stderr under cmd's name.
func loadDetector(e *env, cmd, userFile string, roots []string) (*config.Loaded, *redact.Detector, error) {
	loaded, err := config.Load(config.LoadOptions{UserFile: userFile, WorkspaceRoots: roots, Getenv: e.getenv})
	if err != nil {
		return nil, nil, err
	}
	for _, w := range loaded.Warnings {
		fmt.Fprintf(e.stderr, "veil %s: config: %v\n", cmd, w)
	}
	det, err := redact.NewDetector(detectorOptions(loaded.Config))
	if err != nil {
		return nil, nil, err
	}
	return loaded, det, nil
}

// scanPath is the path handed to Detector.Scan for a document: relative to
// its workspace root when it lies inside one (so allow.paths globs such as
// `testdata/**` match), else the absolute slash path.
func scanPath(abs, root string) string {
	if root != "" {
		r := strings.TrimSuffix(root, "/")
		if rel, ok := strings.CutPrefix(abs, r+"/"); ok {
			return rel
		}
	}
	return abs
}
