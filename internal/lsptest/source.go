package lsptest

import (
	"fmt"
	"strings"
)

// GoSource is n bytes of Go-like source for benchmarks, the same for the
// same seed: an AWS key, a GitHub token or an email address every four
// lines among ordinary ones (some with a non-ASCII character); oneLine
// makes it a single minified line of JSON objects with a key about every
// KiB. The secrets come from NewSecrets(seed).
func GoSource(n int, oneLine bool, seed uint64) string {
	sec := NewSecrets(seed)
	var sb strings.Builder
	for i := 0; sb.Len() < n; i++ {
		if oneLine {
			fmt.Fprintf(&sb, `{"id":%d,"key":"%s","note":"%s"},`, i, sec.AWSAccessKeyID(), strings.Repeat("lorem ipsum dolor ", 52))
			continue
		}
		switch i % 12 {
		case 3:
			fmt.Fprintf(&sb, "\tawsKey%d := %q // rotate quarterly\n", i, sec.AWSAccessKeyID())
		case 7:
			fmt.Fprintf(&sb, "\tghToken%d := %q\n", i, sec.GitHubPAT())
		case 10:
			sb.WriteString("\t// contact: ops.team@orchard-mail.net about the billing client\n")
		default:
			fmt.Fprintf(&sb, "\tresult = append(result, fmt.Sprintf(\"%%d: %%s\", i, name%d)) // é line\n", i)
		}
	}
	return strings.ToValidUTF8(sb.String()[:n], "")
}
