package env

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
	}
	return nil
}

// Pinned returns a copy of e whose placement setting is v, taken from an
// existing resource that by names.
func (e *Environment) Pinned(setting string, v []string, by string) *Environment {
	out := *e
	out.source = make(map[string]string, len(e.source)+1)
	for k, s := range e.source {
		out.source[k] = s
	}
	out.source[setting] = "pinned by " + by
	first := ""
	if len(v) > 0 {
		first = v[0]
	}
	switch setting {
	case Region:
		out.Region = first
	case VPCID:
		out.VPCID = first
	case SubnetIDs:
		out.SubnetIDs = v
	case KMSKeyID:
		out.KMSKeyID = first
	case ConnectionSecretNamespace:
		out.ConnectionSecretNamespace = first
	}
	return &out
}
