package redact

import "fmt"

// CheckSamples runs a rule's own samples through d, which must have been
// built with the rule: each true positive must be found by the rule's id,
// no false positive may be. It returns one error per failing sample, naming
// the sample by index and masked preview, never by value. `veil config
// check` runs it on the rules from configuration, as the tests do on the
// built-in ones.
func (d *Detector) CheckSamples(spec RuleSpec) []error {
	var errs []error
	for i, tp := range spec.TruePositives {
		if !foundByRule(d.candidates("sample.txt", []byte(tp)), spec.ID) {
			errs = append(errs, fmt.Errorf("tp[%d] %s is not found by rule %q", i, Preview(tp), spec.ID))
		}
	}
	for i, fp := range spec.FalsePositives {
		if foundByRule(d.candidates("sample.txt", []byte(fp)), spec.ID) {
			errs = append(errs, fmt.Errorf("fp[%d] %s is found by rule %q", i, Preview(fp), spec.ID))
		}
	}
	return errs
}

func foundByRule(fs []Finding, id string) bool {
	for _, f := range fs {
		if f.RuleID == id {
			return true
		}
	}
	return false
}
