package wrap

import (
	"encoding/json"
	"strings"
)

// setPath returns raw (a JSON object, or null/absent) with value set at
// path, creating objects on the way and keeping every other field. A
// non-object on the way is replaced.
func setPath(raw json.RawMessage, path []string, value any) json.RawMessage {
	obj := map[string]json.RawMessage{}
	if len(raw) > 0 && json.Unmarshal(raw, &obj) != nil || obj == nil {
		obj = map[string]json.RawMessage{}
	}
	var v json.RawMessage
	if len(path) == 1 {
		v, _ = json.Marshal(value)
	} else {
		v = setPath(obj[path[0]], path[1:], value)
	}
	obj[path[0]] = v
	out, _ := json.Marshal(obj)
	return out
}

// patchInitialize turns client fetch and redirected telemetry on in the
// initialize params, whatever the plugin sent.
func patchInitialize(params json.RawMessage) json.RawMessage {
	params = setPath(params, []string{"initializationOptions", "copilotCapabilities", "fetch"}, true)
	return setPath(params, []string{"initializationOptions", "copilotCapabilities", "redirectedTelemetry"}, true)
}

// The settings veil forces on the child: every HTTP request through
// copilot/fetch, telemetry off.
var forced = []struct {
	path  []string
	value any
}{
	{[]string{"github", "copilot", "fetchStrategy"}, "client"},
	{[]string{"telemetry", "telemetryLevel"}, "off"},
}

// patchSettings applies the forced settings to a whole settings object.
func patchSettings(settings json.RawMessage) json.RawMessage {
	for _, f := range forced {
		settings = setPath(settings, f.path, f.value)
	}
	return settings
}

// forcedConfigurationParams is the didChangeConfiguration veil pushes
// right after initialized.
func forcedConfigurationParams() json.RawMessage {
	return setPath(nil, []string{"settings"}, patchSettings(nil))
}

// patchDidChangeConfiguration applies the forced settings to an editor's
// didChangeConfiguration params.
func patchDidChangeConfiguration(params json.RawMessage) json.RawMessage {
	var p struct {
		Settings json.RawMessage `json:"settings"`
	}
	_ = json.Unmarshal(params, &p)
	return setPath(params, []string{"settings"}, patchSettings(p.Settings))
}

// patchConfigurationResult applies the forced settings to the editor's
// answer to the child's workspace/configuration: each item gets the
// forced values that fall under its section.
func patchConfigurationResult(params, result json.RawMessage) json.RawMessage {
	var p struct {
		Items []struct {
			Section *string `json:"section"`
		} `json:"items"`
	}
	var items []json.RawMessage
	if json.Unmarshal(params, &p) != nil || json.Unmarshal(result, &items) != nil {
		return result
	}
	for i := range items {
		if i >= len(p.Items) {
			break
		}
		section := ""
		if p.Items[i].Section != nil {
			section = *p.Items[i].Section
		}
		items[i] = patchSection(section, items[i])
	}
	out, err := json.Marshal(items)
	if err != nil {
		return result
	}
	return out
}

// patchSection sets, in the value of one configuration section, the
// forced settings below it ("" is the whole configuration).
func patchSection(section string, v json.RawMessage) json.RawMessage {
	var prefix []string
	if section != "" {
		prefix = strings.Split(section, ".")
	}
	for _, f := range forced {
		switch {
		case len(prefix) > len(f.path) || !hasPrefix(f.path, prefix):
		case len(prefix) == len(f.path):
			v, _ = json.Marshal(f.value)
		default:
			v = setPath(v, f.path[len(prefix):], f.value)
		}
	}
	return v
}

func hasPrefix(path, prefix []string) bool {
	for i := range prefix {
		if path[i] != prefix[i] {
			return false
		}
	}
	return true
}
