package config

import (
	"fmt"
	"strings"
)

// WorkspaceRuleIDs maps the id of each detection rule a workspace file
// added to the name logs and audit records use for it instead,
// "workspace-rule-N" (N counts from 1 in Config.Rules order): a workspace
// file is untrusted, and a rule id could carry a codename or a value.
func (l *Loaded) WorkspaceRuleIDs() map[string]string {
	out := map[string]string{}
	for i, r := range l.Config.Rules {
		if strings.HasPrefix(l.Sources[fmt.Sprintf("rules[%d]", i)], "workspace ") {
			out[r.ID] = fmt.Sprintf("workspace-rule-%d", len(out)+1)
		}
	}
	return out
}
