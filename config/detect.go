package config

import (
	"strconv"

	"github.com/veil-dev/veil/redact"
)

// DetectorOptions maps the config onto the detector's options. It is the
// one place that does: veil lsp, scan, redact, policy explain and the tests
// share it so they find the same things.
func (c Config) DetectorOptions() redact.Options {
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

// checkRuleSamples runs the samples of the rules from configuration
// (tp/fp) with the detector the config builds; a rule whose samples fail is
// a problem in file. A detector that does not build is reported by
// validation already.
func checkRuleSamples(file string, c Config) []Problem {
	if len(c.Rules) == 0 {
		return nil
	}
	// Every detector on and no allowlist, so a sample fails only because of
	// its own rule.
	d, err := redact.NewDetector(redact.Options{Extra: c.Rules})
	if err != nil {
		return nil
	}
	var out []Problem
	for i, spec := range c.Rules {
		for _, err := range d.CheckSamples(spec) {
			out = append(out, Problem{File: file, Key: "rules[" + strconv.Itoa(i) + "]", Msg: err.Error()})
		}
	}
	return out
}
