// Package database composes a DatabaseClaim (XDatabase), or a namespaced
// Database, into a database that is private, encrypted, protected and
// backed up, with its subnet group, security group and ingress rule. Which
// AWS service holds the data is the engine's family (family.go): RDS for
// postgresql and mysql (rds.go).
package database

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/naming"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// Kind is the legacy composite kind this composer handles; NamespacedKind
// the namespaced one (Crossplane v2), composed alike in its namespace.
const (
	Kind           = "XDatabase"
	NamespacedKind = "Database"
)

// Names of the composed resources every family composes in the pipeline.
const (
	SubnetGroup       = "subnet-group"
	SecurityGroup     = "security-group"
	SecurityGroupRule = "security-group-rule"
)

// Composer composes XDatabases.
type Composer struct{}

// Component is the app.kubernetes.io/component of what it composes.
func (Composer) Component() string { return component }

const component = "database"

// ConditionType is the custom condition it reports on composite and claim.
func (Composer) ConditionType() string { return "DatabaseReady" }

// Compose adds the database's resources to s: its family's, with what
// every family shares (build).
func (Composer) Compose(xr *compose.Composite, e *env.Environment, s *compose.Set) error {
	c, err := parse(xr.Spec())
	if err != nil {
		return err
	}
	if err := c.prepare(s.Observed(c.family.primary)); err != nil {
		return err
	}
	if err := e.RequireNetwork(); err != nil {
		return err
	}
	return c.compose(&build{xr: xr, e: e, s: s, names: xr.Names(), tags: s.Tags(), region: pb.Str(e.Region)})
}

// Status is the status of the family whose resource holds the data (the
// one Compose added).
func (Composer) Status(xr *compose.Composite, s *compose.Set) compose.Status {
	for _, f := range familyList {
		if s.Desired(f.primary) != nil {
			return f.status(xr, s)
		}
	}
	return compose.Status{Fields: pb.Fields{}}
}

// Check refuses a claim change that the existing database cannot make, by
// comparing the claim with what provider-aws observed: another engine
// family than the one that exists (no AWS service turns into another),
// then what the family refuses. Claims that do not parse are left to
// Compose, which says what is wrong with them.
func (Composer) Check(xr *compose.Composite, s *compose.Set) error {
	c, err := parse(xr.Spec())
	if err != nil {
		return nil //nolint:nilerr // Compose reports it.
	}
	for _, f := range familyList {
		obs := s.Observed(f.primary)
		if obs == nil || f == c.family {
			continue
		}
		var errs field.List
		errs.Add(engineChange(c.name, f.engineOf(obs), f.immutable))
		return &compose.ChangeError{Err: errs}
	}
	obs := s.Observed(c.family.primary)
	if obs == nil {
		return nil
	}
	if err := c.check(obs).Err(); err != nil {
		return &compose.ChangeError{Err: err}
	}
	return nil
}

// Placement says where an existing database records its placement, so that
// an environment change never moves it (see compose.Set.Pin): every
// family's, of which only those of the resources that exist apply. The
// region of the resource that holds the data comes first, then the
// network's, then the family's own. Spec paths come first: provider-aws
// late-initialises them from what AWS reports.
func (Composer) Placement() []compose.Pin { return placement }

var placement = func() []compose.Pin {
	var pins []compose.Pin
	for _, f := range familyList {
		pins = append(pins, compose.Pin{Setting: env.Region, Resource: f.primary, Paths: [][]string{pinFor("region")}})
	}
	pins = append(pins, networkPins...)
	for _, f := range familyList {
		pins = append(pins, f.placement...)
	}
	return pins
}()

// engineChange refuses the claim's engine name where the database runs
// current, which it cannot change from: why says so.
func engineChange(name, current, why string) *field.Error {
	return field.Invalid("spec.engine", name, fmt.Sprintf("%q, the engine the existing database runs: %s", current, why))
}

// pinAt and pinFor make the paths of a Pin.
func pinFor(f ...string) []string { return append([]string{"spec", "forProvider"}, f...) }
func pinAt(f ...string) []string  { return append([]string{"status", "atProvider"}, f...) }

// networkPins are the pins of the subnet group and security group every
// family composes.
var networkPins = []compose.Pin{
	{Setting: env.Region, Resource: SubnetGroup, Paths: [][]string{pinFor("region")}},
	{Setting: env.Region, Resource: SecurityGroup, Paths: [][]string{pinFor("region")}},
	{Setting: env.VPCID, Resource: SecurityGroup, Paths: [][]string{pinFor("vpcId"), pinAt("vpcId")}},
	{Setting: env.SubnetIDs, Resource: SubnetGroup, Paths: [][]string{pinFor("subnetIds"), pinAt("subnetIds")}},
}

// primaryPins are the pins of the family's resource called primary: its KMS
// key, and the namespace of its connection Secret and of the Secret its
// generated password or token is in (spec.forProvider.<generatedRef>).
func primaryPins(primary, generatedRef string) []compose.Pin {
	return []compose.Pin{
		{Setting: env.KMSKeyID, Resource: primary, Paths: [][]string{pinFor("kmsKeyId"), pinAt("kmsKeyId")}},
		{Setting: env.ConnectionSecretNamespace, Resource: primary, Paths: [][]string{
			{"spec", "writeConnectionSecretToRef", "namespace"}, pinFor(generatedRef, "namespace"),
		}},
	}
}

// build is what a family composes with: the composite, its environment
// and set, and the mechanics every family shares.
type build struct {
	xr     *compose.Composite
	e      *env.Environment
	s      *compose.Set
	names  naming.Names
	tags   *structpb.Value
	region *structpb.Value
}

// securityGroup composes the database's security group and the one rule
// that lets the platform's private networks reach port, and nothing else.
// sgName and sgDescription are what the group has (Keep): neither can
// change without replacing it.
func (b *build) securityGroup(engine string, port int) {
	s, names := b.s, b.names
	sgName := s.Keep(SecurityGroup, awsrules.SecurityGroupName.Valid, names.Cloud(awsrules.SecurityGroupName, ""), "spec", "forProvider", "name")
	sgDescription := s.Keep(SecurityGroup, awsrules.SecurityGroupDescription.Valid,
		awsrules.SecurityGroupDescription.Text("paved database security group for "+b.xr.Owner()), "spec", "forProvider", "description")
	s.Add(SecurityGroup, "ec2.aws.upbound.io/v1beta1", "SecurityGroup", names.Object(SecurityGroup), pb.Fields{
		"forProvider": pb.Obj(pb.Fields{
			"region":              b.region,
			"name":                pb.Str(sgName),
			"description":         pb.Str(sgDescription),
			"vpcId":               pb.Str(b.e.VPCID),
			"revokeRulesOnDelete": pb.Boolean(true),
			"tags":                b.tags,
		}),
	})

	rule := pb.Fields{
		"region":      b.region,
		"type":        pb.Const("ingress"),
		"description": pb.Str(awsrules.SecurityGroupRuleDescription.Text(engine + " from the private networks of the platform")),
		"protocol":    pb.Const("tcp"),
		"fromPort":    pb.Int(port),
		"toPort":      pb.Int(port),
		// The security group of this composite, and no other.
		"securityGroupIdSelector": compose.Selector(SecurityGroup),
	}
	// provider-aws v1.23.0 SecurityGroupRule takes IPv4 blocks in
	// cidrBlocks and IPv6 blocks in ipv6CidrBlocks
	// (package/crds/ec2.aws.upbound.io_securitygrouprules.yaml).
	ipv4, ipv6 := b.e.CIDRs()
	if len(ipv4) > 0 {
		rule["cidrBlocks"] = pb.Strs(ipv4)
	}
	if len(ipv6) > 0 {
		rule["ipv6CidrBlocks"] = pb.Strs(ipv6)
	}
	s.Add(SecurityGroupRule, "ec2.aws.upbound.io/v1beta1", "SecurityGroupRule", names.Object(SecurityGroupRule), pb.Fields{
		"forProvider": pb.Obj(rule),
	})
}

// subnetGroup composes the family's subnet group, of kind SubnetGroup at
// apiVersion, over the environment's subnets, and returns its cloud name:
// the one it has (its external name, Keep), or a new one that rule names.
// description is the family's rule for a description AWS accepts.
func (b *build) subnetGroup(apiVersion string, rule, description *awsrules.Rule) string {
	name := b.s.KeepExternalName(SubnetGroup, rule.Valid, b.names.Cloud(rule, ""))
	b.s.Add(SubnetGroup, apiVersion, "SubnetGroup", b.names.Object(SubnetGroup), pb.Fields{
		"forProvider": pb.Obj(pb.Fields{
			"region":      b.region,
			"description": pb.Str(description.Text("paved database subnet group for " + b.xr.Owner())),
			"subnetIds":   pb.Strs(b.e.SubnetIDs),
			"tags":        b.tags,
		}),
	}, compose.WithExternalName(name))
	return name
}

// parameterGroup composes the family's parameter group that enforces TLS,
// of kind at apiVersion, for the parameter group family fam (postgres15,
// docdb5.0) with parameters, and returns its pipeline name (prefix and
// fam's slug) and its cloud name, which is its external name, as rule
// names it. Both names carry fam, so a major upgrade composes the new
// family's group next to the old one; the primary selects its group by
// that name (groupSelector). Its description cannot change without
// replacing the group: an existing one is kept.
func (b *build) parameterGroup(prefix, apiVersion, kind string, rule *awsrules.Rule, fam string, parameters *structpb.Value) (name, cloudName string) {
	s, names := b.s, b.names
	name = prefix + familySlug(fam)
	cloudName = s.KeepExternalName(name, rule.Valid, names.Cloud(rule, familySlug(fam)))
	description := s.Keep(name, awsrules.RDSDescription.Valid,
		awsrules.RDSDescription.Text("paved "+fam+" parameters, TLS required, for "+b.xr.Owner()), "spec", "forProvider", "description")
	s.Add(name, apiVersion, kind, names.Object(name), pb.Fields{
		"forProvider": pb.Obj(pb.Fields{
			"region":      b.region,
			"family":      pb.Str(fam),
			"description": pb.Str(description),
			"parameter":   parameters,
			"tags":        b.tags,
		}),
	}, compose.WithExternalName(cloudName))
	return name, cloudName
}

// groupSelector selects the parameter group called name of the same
// composite (compose.Selector), resolved on every reconcile, so that the
// primary moves to a new family's group with its new version.
func groupSelector(name string) *structpb.Value {
	return pb.Obj(pb.Fields{
		"matchControllerRef": pb.Boolean(true),
		"matchLabels":        pb.StrMap(map[string]string{compose.LabelName: name}),
		"policy":             pb.Obj(pb.Fields{"resolve": pb.Const("Always")}),
	})
}

// secrets are the Secrets of the family's resource called primary: the
// one the provider generates its password or token into, which
// spec.forProvider.<generatedRef> names (the one it has, or a new one,
// <primary>-<suffix>), and its connection secret.
//
// The connection secret is the Secret the provider writes the connection
// details of primary to: the one an existing
// resource writes to, or a new one. A claim's is in the platform's
// namespace (see naming.Names.Secret) and Crossplane copies what the
// function returns from it to the claim's Secret. A namespaced composite
// has no connection secret of its own (Crossplane v2 writes none for it),
// so its resource writes the team's Secret directly, in the composite's
// namespace: the one spec.writeConnectionSecretToRef.name names, or
// <name>-database-connection (compose.Composite.ConnectionSecretName). It
// is never generated, the Secret that holds the database's generated
// password or token, which the provider would then overwrite with
// connection details, nor could it hold it for the team alone.
func (b *build) secrets(primary, suffix, generatedRef string) (generated, conn string, err error) {
	generated = b.s.Keep(primary, naming.ValidObject, b.names.Secret(primary+"-"+suffix), "spec", "forProvider", generatedRef, "name")
	fresh := b.names.Secret(primary + "-connection")
	if b.xr.Namespaced() {
		if fresh, err = b.xr.ConnectionSecretName(component); err != nil {
			return "", "", err
		}
	}
	conn = b.s.Keep(primary, naming.ValidObject, fresh, "spec", "writeConnectionSecretToRef", "name")
	if conn == generated {
		var errs field.List
		errs.Add(field.Invalid("spec.writeConnectionSecretToRef.name", conn, "not the Secret that holds the database's generated password"))
		return "", "", errs.Err()
	}
	return generated, conn, nil
}

// protect keeps the network the family's resource called primary lives in,
// and what else of it is named, while it exists (compose.Set.Protect): why
// says who lets it go.
func (b *build) protect(primary, why string, also ...compose.Kept) {
	b.s.Protect(primary, why, append(compose.Keep(SecurityGroup, SecurityGroupRule, SubnetGroup), also...)...)
}

// connectionDetails finishes the status st of a claim's database from the
// connection details cd it read: it returns them once the database's
// secret (cd's "password") is known. The secret goes to the composite's
// connection secret, which Crossplane copies to the claim's, and nowhere
// else: Crossplane sends the composed resources' connection details in the
// request and writes the composite's secret from the response's desired
// composite (crossplane
// internal/controller/apiextensions/composite/composition_functions.go,
// claim/connection.go); nothing else the function returns, logs or caches
// holds it (TestPasswordOnlyInConnectionDetails).
//
// Nothing in cd is of use to a client without the secret, which the
// provider writes to the resource's connection secret with the address and
// port. Crossplane core publishes a composite's connection details
// whenever they change and records when in its status
// (internal/controller/apiextensions/composite/reconciler.go,
// SetConnectionDetailsLastPublishedTime), a status write of the composite
// of its own: the TLS settings once the resource was observed, then its
// endpoint and secret, were two writes, watch events of the bundle that
// composes the database too, which core's circuit breaker counts. Once
// known the secret stays so (the provider keeps the resource's connection
// secret).
func connectionDetails(st *compose.Status, cd map[string][]byte) {
	if len(cd["password"]) > 0 {
		st.ConnectionDetails = cd
	}
}

// primaryStatus is what a family's status reads of its primary: the
// status it reports and the connection details a claim gets.
type primaryStatus struct {
	namespaced bool
	// obs and desired are the primary as observed (nil: not yet) and as
	// composed.
	obs, desired *structpb.Struct
	// conn are the primary's observed connection details; nil for a
	// namespaced composite, whose connection details the provider writes
	// to the team's Secret itself and the function never reads.
	conn map[string][]byte
	st   compose.Status
	// cd are the connection details a claim gets (see finish).
	cd map[string][]byte
}

// readPrimary starts the status of the composite xr from its primary: the
// connection secret the primary writes to, and its endpoint, read from the
// observed status.atProvider field endpointField or, before the provider
// reports it there, the connection detail endpointKey.
func readPrimary(xr *compose.Composite, s *compose.Set, primary, endpointField, endpointKey string) *primaryStatus {
	p := &primaryStatus{
		namespaced: xr.Namespaced(),
		obs:        s.Observed(primary),
		desired:    s.Desired(primary),
		cd:         map[string][]byte{},
	}
	p.st = compose.Status{
		Fields: pb.Fields{"secretName": pb.Get(p.desired, "spec", "writeConnectionSecretToRef", "name")},
	}
	if !p.namespaced {
		p.conn = s.ObservedConnectionDetails(primary)
	}
	endpoint, _ := pb.String(p.obs, "status", "atProvider", endpointField)
	if endpoint == "" {
		endpoint = string(p.conn[endpointKey])
	}
	if endpoint != "" {
		p.st.Fields["endpoint"] = pb.Str(endpoint)
		p.cd["endpoint"] = []byte(endpoint)
	}
	return p
}

// readPort reports the primary's port from its observed status.atProvider
// port or, before the provider reports it there, its "port" connection
// detail; nothing while neither has a positive one.
func (p *primaryStatus) readPort() {
	port, ok := pb.Number(p.obs, "status", "atProvider", "port")
	if !ok {
		if n, err := strconv.Atoi(string(p.conn["port"])); err == nil {
			port, ok = float64(n), true
		}
	}
	if ok && port > 0 {
		p.setPort(port)
	}
}

// setPort reports port in the status and the connection details.
func (p *primaryStatus) setPort(port float64) {
	p.st.Fields["port"] = pb.Num(port)
	p.cd["port"] = []byte(strconv.Itoa(int(port)))
}

// finish returns the status. A namespaced composite's reports those of
// fields that were read as connection details (its own are the team's
// Secret, which the provider writes). A claim's gets the connection
// details, with the database's secret as "password": the first of the
// primary's connection details passwordKeys that is set (connectionDetails).
func (p *primaryStatus) finish(fields []string, passwordKeys ...string) compose.Status {
	if p.namespaced {
		for _, k := range fields {
			if v, ok := p.cd[k]; ok {
				p.st.Fields[k] = pb.Str(string(v))
			}
		}
		return p.st
	}
	for _, k := range passwordKeys {
		if v := p.conn[k]; len(v) > 0 {
			p.cd["password"] = v
			break
		}
	}
	connectionDetails(&p.st, p.cd)
	return p.st
}
