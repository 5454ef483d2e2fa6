package main

import (
	"fmt"
	"strings"

	"github.com/veil-dev/veil/config"
	"github.com/veil-dev/veil/redact"
)

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
	det, err := redact.NewDetector(loaded.Config.DetectorOptions())
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
