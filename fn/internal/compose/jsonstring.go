package compose

import "encoding/json"

// JSONString is s as a JSON string, quotes included, byte for byte as
// encoding/json writes it: the policy documents composers write (a bucket
// policy, a queue's policies) put ARNs and account IDs into JSON held in a
// string field, and are compared with what json.Marshal made of them. s
// itself between quotes when every byte is printable ASCII that
// json.Marshal leaves alone (not '"', '\\', nor the HTML characters '<',
// '>' and '&' it escapes), as ARNs and account IDs always are; else
// json.Marshal's own encoding.
func JSONString(s string) string {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) //nolint:errchkjson // A string always marshals.
			return string(b)
		}
	}
	return `"` + s + `"`
}
