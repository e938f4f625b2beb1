package discover

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/paved-dev/paved/fn/envconfig"
)

// VPC is a VPC as discovery reports it.
type VPC struct {
	ID, Name string
	Default  bool
	// CIDRs are the VPC's associated IPv4 and IPv6 blocks.
	CIDRs []string
}

// Subnet is a subnet as discovery reports it.
type Subnet struct {
	ID, Name, AZ, CIDR string
	// RouteTable is the route table the subnet uses, Main whether that
	// is the VPC's main route table (no explicit association), and
	// Gateway the internet gateway it routes to, if any.
	RouteTable string
	Main       bool
	Gateway    string
}

// minAZs is how many Availability Zones a database subnet group must span:
// "Each DB subnet group should have subnets in at least two Availability
// Zones in a given AWS Region"
// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html#USER_VPC.Subnets).
const minAZs = 2

// network finds the VPC, its private subnets and its private CIDR blocks.
func (r *Result) network(ctx context.Context, c EC2, vpcID string) error {
	vpc, err := findVPC(ctx, c, r.Region, vpcID)
	if err != nil {
		return err
	}
	r.VPC = vpc

	subnets, err := subnets(ctx, c, vpc.ID)
	if err != nil {
		return err
	}
	tables, err := routeTables(ctx, c, vpc.ID)
	if err != nil {
		return err
	}
	r.Private, r.Public = classify(subnets, tables)

	var errs []string
	azs := map[string]bool{}
	for _, s := range r.Private {
		azs[s.AZ] = true
	}
	if len(azs) < minAZs {
		errs = append(errs, fmt.Sprintf("%s has private subnets in %s (%s); paved's databases need private subnets in at least %d Availability Zones (an RDS DB subnet group spans two or more). Public subnets (a route to an internet gateway) are never used: %s",
			named(vpc.ID, vpc.Name), plural(len(azs), "Availability Zone", "Availability Zones"),
			orNone(joinIDs(r.Private, func(s Subnet) string { return s.ID + " in " + s.AZ })), minAZs,
			orNone(joinIDs(r.Public, func(s Subnet) string {
				return fmt.Sprintf("%s in %s via %s to %s", s.ID, s.AZ, s.RouteTable, s.Gateway)
			}))))
	}

	for _, c := range vpc.CIDRs {
		if p, err := netip.ParsePrefix(c); err == nil && envconfig.Private(p) {
			r.AllowedCIDRs = append(r.AllowedCIDRs, c)
		} else {
			r.Skipped = append(r.Skipped, c)
		}
	}
	if len(r.AllowedCIDRs) == 0 {
		errs = append(errs, fmt.Sprintf("%s has no private CIDR block (RFC 1918 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, or RFC 4193 fc00::/7) for allowedCidrs: its blocks are %s; paved opens databases to private ranges only",
			named(vpc.ID, vpc.Name), orNone(strings.Join(vpc.CIDRs, ", "))))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// findVPC returns the VPC named, or the region's only VPC that is not the
// default VPC.
func findVPC(ctx context.Context, c EC2, region, id string) (VPC, error) {
	in := &ec2.DescribeVpcsInput{}
	if id != "" {
		in.VpcIds = []string{id}
	}
	var vpcs []VPC
	p := ec2.NewDescribeVpcsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			var ae smithy.APIError
			// EC2 answers an unknown id with InvalidVpcID.NotFound
			// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
			if id != "" && errors.As(err, &ae) && ae.ErrorCode() == "InvalidVpcID.NotFound" {
				return VPC{}, fmt.Errorf("--vpc %s: no such VPC in region %s: %w", id, region, err)
			}
			return VPC{}, err
		}
		for _, v := range page.Vpcs {
			vpcs = append(vpcs, vpcOf(v))
		}
	}
	if id != "" {
		for _, v := range vpcs {
			if v.ID == id {
				return v, nil
			}
		}
		return VPC{}, fmt.Errorf("--vpc %s: no such VPC in region %s", id, region)
	}
	var candidates []VPC
	var dflt []string
	for _, v := range vpcs {
		if v.Default {
			dflt = append(dflt, v.ID)
			continue
		}
		candidates = append(candidates, v)
	}
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].ID < candidates[j].ID })
	switch len(candidates) {
	case 1:
		return candidates[0], nil
	case 0:
		msg := fmt.Sprintf("region %s has no VPC besides the default VPC", region)
		if len(dflt) > 0 {
			msg += " (" + strings.Join(dflt, ", ") + ", whose subnets are public)"
		}
		return VPC{}, fmt.Errorf("%s: create a VPC with private subnets in at least %d Availability Zones, or name one with --vpc", msg, minAZs)
	}
	lines := make([]string, len(candidates))
	for i, v := range candidates {
		lines[i] = fmt.Sprintf("  %s  %s", named(v.ID, v.Name), strings.Join(v.CIDRs, " "))
	}
	return VPC{}, fmt.Errorf("region %s has %d VPCs besides the default VPC; choose one with --vpc:\n%s", region, len(candidates), strings.Join(lines, "\n"))
}

func vpcOf(v types.Vpc) VPC {
	out := VPC{ID: aws.ToString(v.VpcId), Name: nameTag(v.Tags), Default: aws.ToBool(v.IsDefault)}
	// Only blocks whose association is in force: a disassociated block
	// routes nothing in the VPC.
	for _, a := range v.CidrBlockAssociationSet {
		if a.CidrBlockState == nil || a.CidrBlockState.State == types.VpcCidrBlockStateCodeAssociated {
			out.CIDRs = append(out.CIDRs, aws.ToString(a.CidrBlock))
		}
	}
	for _, a := range v.Ipv6CidrBlockAssociationSet {
		if a.Ipv6CidrBlockState == nil || a.Ipv6CidrBlockState.State == types.VpcCidrBlockStateCodeAssociated {
			out.CIDRs = append(out.CIDRs, aws.ToString(a.Ipv6CidrBlock))
		}
	}
	if len(out.CIDRs) == 0 && v.CidrBlock != nil {
		out.CIDRs = []string{aws.ToString(v.CidrBlock)}
	}
	return out
}

func subnets(ctx context.Context, c EC2, vpc string) ([]types.Subnet, error) {
	var out []types.Subnet
	p := ec2.NewDescribeSubnetsPaginator(c, &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Subnets...)
	}
	return out, nil
}

func routeTables(ctx context.Context, c EC2, vpc string) ([]types.RouteTable, error) {
	var out []types.RouteTable
	p := ec2.NewDescribeRouteTablesPaginator(c, &ec2.DescribeRouteTablesInput{Filters: []types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpc}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.RouteTables...)
	}
	return out, nil
}

// classify splits subnets into private and public, each sorted by
// Availability Zone and id.
//
// A subnet is public when its route table has a route to an internet
// gateway: "Public subnet – The subnet has a direct route to an internet
// gateway. ... Private subnet – The subnet does not have a direct route to
// an internet gateway"
// (https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html#subnet-types).
// Its route table is the one explicitly associated with it or, without
// an explicit association, the VPC's main route table: "You can explicitly
// associate a subnet with a particular route table. Otherwise, the subnet
// is implicitly associated with the main route table"
// (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-route-tables.html);
// DescribeRouteTables returns no subnet id for implicit associations
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RouteTableAssociation.html).
//
// A route to an internet gateway counts whatever its state: a blackhole
// route to a detached gateway makes the subnet public again the moment the
// gateway is attached. An egress-only internet gateway (IPv6 outbound
// only) does not make a subnet public.
func classify(subnets []types.Subnet, tables []types.RouteTable) (private, public []Subnet) {
	explicit := map[string]types.RouteTable{}
	var main *types.RouteTable
	for i, t := range tables {
		for _, a := range t.Associations {
			if a.AssociationState != nil && a.AssociationState.State != types.RouteTableAssociationStateCodeAssociated {
				continue
			}
			switch {
			case aws.ToBool(a.Main):
				main = &tables[i]
			case a.SubnetId != nil:
				explicit[aws.ToString(a.SubnetId)] = t
			}
		}
	}
	for _, s := range subnets {
		out := Subnet{ID: aws.ToString(s.SubnetId), Name: nameTag(s.Tags), AZ: aws.ToString(s.AvailabilityZone), CIDR: aws.ToString(s.CidrBlock)}
		t, ok := explicit[out.ID]
		switch {
		case ok:
			out.RouteTable = aws.ToString(t.RouteTableId)
		case main != nil:
			t, out.Main = *main, true
			out.RouteTable = aws.ToString(t.RouteTableId) + " (main)"
		default:
			// Every VPC has a main route table; without one in the
			// answer, nothing says the subnet is private.
			out.RouteTable, out.Gateway = "no route table found", "unknown"
			public = append(public, out)
			continue
		}
		out.Gateway = internetGateway(t)
		if out.Gateway != "" {
			public = append(public, out)
		} else {
			private = append(private, out)
		}
	}
	for _, l := range [][]Subnet{private, public} {
		sort.Slice(l, func(i, j int) bool {
			if l[i].AZ != l[j].AZ {
				return l[i].AZ < l[j].AZ
			}
			return l[i].ID < l[j].ID
		})
	}
	return private, public
}

// internetGateway returns the internet gateway a route table routes to, or
// "". Internet gateway ids start with "igw-"; the route's gatewayId also
// holds "local" and virtual private gateways (vgw-)
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html).
func internetGateway(t types.RouteTable) string {
	for _, r := range t.Routes {
		if g := aws.ToString(r.GatewayId); strings.HasPrefix(g, "igw-") {
			return g
		}
	}
	return ""
}

func nameTag(tags []types.Tag) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == "Name" {
			return aws.ToString(t.Value)
		}
	}
	return ""
}
