package env

import "maps"

// Placement settings: where a composite's resources are. Resources that
// exist cannot follow a change of these (provider-aws refuses an update
// that needs a replacement, and a region change makes it look for the
// resource elsewhere), so they are pinned to what is observed; see
// compose.Set.Pin.
const (
	Region                    = "region"
	VPCID                     = "vpcId"
	SubnetIDs                 = "subnetIds"
	KMSKeyID                  = "kmsKeyId"
	ConnectionSecretNamespace = "connectionSecretNamespace"
	// The provider config of namespaced managed resources: another one
	// may hold another AWS account's credentials.
	ProviderConfigKind = "awsProviderConfigRef.kind"
	ProviderConfigName = "awsProviderConfigRef.name"
)

// Placement returns the value of a placement setting (nil when unset).
func (e *Environment) Placement(setting string) []string {
	one := func(s string) []string {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	switch setting {
	case Region:
		return one(e.Region)
	case VPCID:
		return one(e.VPCID)
	case SubnetIDs:
		return e.SubnetIDs
	case KMSKeyID:
		return one(e.KMSKeyID)
	case ConnectionSecretNamespace:
		return one(e.ConnectionSecretNamespace)
	case ProviderConfigKind:
		return one(e.AWSProviderConfigRef.Kind)
	case ProviderConfigName:
		return one(e.AWSProviderConfigRef.Name)
	}
	return nil
}

// Copy returns a copy of e that can be pinned without changing e.
func (e *Environment) Copy() *Environment {
	out := *e
	out.source = make(map[string]string, len(e.source)+5)
	maps.Copy(out.source, e.source)
	return &out
}

// Pin sets the placement setting of e to v, taken from an existing
// resource that by names. Pin only a Copy.
func (e *Environment) Pin(setting string, v []string, by string) {
	if e.source == nil {
		e.source = map[string]string{}
	}
	e.source[setting] = "pinned by " + by
	first := ""
	if len(v) > 0 {
		first = v[0]
	}
	switch setting {
	case Region:
		e.Region = first
	case VPCID:
		e.VPCID = first
	case SubnetIDs:
		e.SubnetIDs = v
	case KMSKeyID:
		e.KMSKeyID = first
	case ConnectionSecretNamespace:
		e.ConnectionSecretNamespace = first
	case ProviderConfigKind:
		e.AWSProviderConfigRef.Kind = first
	case ProviderConfigName:
		e.AWSProviderConfigRef.Name = first
	}
}
