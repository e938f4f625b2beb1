package discover

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/types/known/structpb"
	kyaml "sigs.k8s.io/yaml"

	"github.com/paved-dev/paved/fn/envconfig"
	"github.com/paved-dev/paved/fn/input/v1alpha1/environment"
)

// Environment is what discovery found, as the function's own type of
// data.paved.
func (r *Result) Environment() environment.Environment {
	ids := make([]string, len(r.Private))
	for i, s := range r.Private {
		ids[i] = s.ID
	}
	return environment.Environment{
		Region:       r.Region,
		VPCID:        r.VPC.ID,
		SubnetIDs:    ids,
		AllowedCIDRs: r.AllowedCIDRs,
		KMSKeyID:     r.KMSKey,
	}
}

// object is an EnvironmentConfig holding paved's settings, in the order
// kubectl users read (apiVersion, kind, metadata, data).
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Data map[string]environment.Environment `json:"data"`
}

// EnvironmentConfig renders the EnvironmentConfig name as YAML, with
// comments saying where each value came from and what was left out. It
// checks what it renders with the function's own validation, so it never
// writes an EnvironmentConfig the function would refuse.
func (r *Result) EnvironmentConfig(name string) ([]byte, error) {
	o := object{APIVersion: envconfig.APIVersion, Kind: envconfig.Kind, Data: map[string]environment.Environment{envconfig.DataKey: r.Environment()}}
	o.Metadata.Name = name
	j, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	// JSON is YAML: decoding it into a node keeps the fields' order, and
	// the node takes the comments.
	var doc yaml.Node
	if err := yaml.Unmarshal(j, &doc); err != nil {
		return nil, err
	}
	plain(&doc)
	root := doc.Content[0]
	root.HeadComment = r.header()
	paved := lookup(root, "data", envconfig.DataKey)
	if s := lookup(paved, "subnetIds"); s != nil {
		for i, item := range s.Content {
			item.LineComment = r.Private[i].AZ
		}
	}
	if k := lookup(paved, "kmsKeyId"); k != nil && r.KMSKeyFrom != "" && r.KMSKeyFrom != r.KMSKey {
		k.LineComment = "--kms-key " + r.KMSKeyFrom
	}
	if v := lookup(paved, "vpcId"); v != nil && r.VPC.Name != "" {
		v.LineComment = r.VPC.Name
	}

	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if err := validate(out.Bytes()); err != nil {
		return nil, fmt.Errorf("the EnvironmentConfig discovered is one function-paved would refuse: %w", err)
	}
	return out.Bytes(), nil
}

// validate reads back what was rendered, as Kubernetes and then the
// function would, and applies the function's validation.
func validate(y []byte) error {
	j, err := kyaml.YAMLToJSON(y)
	if err != nil {
		return err
	}
	ec := &structpb.Struct{}
	if err := ec.UnmarshalJSON(j); err != nil {
		return err
	}
	return envconfig.ValidateForDatabases(ec)
}

func (r *Result) header() string {
	lines := wrap(fmt.Sprintf("paved's AWS environment: account %s, region %s, read by `paved environment discover` as %s. Apply it with kubectl apply -f.", r.Account, r.Region, r.CallerARN), 78)
	lines = append(lines, "#", fmt.Sprintf("VPC %s: private subnets in %s.", named(r.VPC.ID, r.VPC.Name), plural(azCount(r.Private), "Availability Zone", "Availability Zones")))
	if len(r.Public) > 0 {
		lines = append(lines, "Left out, public (a route to an internet gateway):")
		for _, s := range r.Public {
			lines = append(lines, fmt.Sprintf("  %s  %s  %s -> %s", s.ID, s.AZ, s.RouteTable, s.Gateway))
		}
	}
	if len(r.Skipped) > 0 {
		lines = append(lines, "Left out of allowedCidrs, not private (RFC 1918, RFC 4193):", "  "+strings.Join(r.Skipped, ", "))
	}
	if r.KMSKey == "" {
		lines = append(lines, "No kmsKeyId (no --kms-key): RDS and S3 encrypt with their AWS managed keys.")
	}
	return strings.Join(lines, "\n")
}

// AZs is the number of Availability Zones of the private subnets.
func (r *Result) AZs() int { return azCount(r.Private) }

func azCount(s []Subnet) int {
	azs := map[string]bool{}
	for _, x := range s {
		azs[x.AZ] = true
	}
	return len(azs)
}

// wrap breaks text into lines of at most width bytes where words allow.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for w := range strings.FieldsSeq(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// plain drops JSON's flow style and quotes; the encoder quotes what YAML
// needs quoted.
func plain(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		plain(c)
	}
}

// lookup follows keys down mappings; nil when one is missing.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}
