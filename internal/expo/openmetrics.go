package expo

import "strings"

// OpenMetrics escapes a double quote in HELP as well, where the text
// format leaves it.
var omHelpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

// appendOpenMetricsHeader appends the HELP and TYPE lines of a family.
func appendOpenMetricsHeader(b []byte, name, help, typ string) []byte {
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, omHelpEscaper.Replace(help)...)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	return append(b, '\n')
}
