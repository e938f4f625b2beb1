package awsrules

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/crossplane/function-sdk-go/resource"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/pb"
)

func TestRules(t *testing.T) {
	long := func(n int) string { return "a" + strings.Repeat("b", n-1) }
	cases := map[string]struct {
		rule *Rule
		v    string
		why  string // "" means valid
	}{
		"SGNameOK":              {SecurityGroupName, "Orders DB (prod) #1", ""},
		"SGNameSG":              {SecurityGroupName, "sg-reports", `begins with the reserved prefix "sg-"`},
		"SGNameLong":            {SecurityGroupName, long(256), "longer than 255 characters"},
		"SGNameMax":             {SecurityGroupName, long(255), ""},
		"SGNameEmpty":           {SecurityGroupName, "", "shorter than 1 characters"},
		"SGDescApostrophe":      {SecurityGroupDescription, "the platform's networks", `contains '\''; allowed are a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*`},
		"SGDescAllSpecials":     {SecurityGroupDescription, "a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*", ""},
		"SGDescUnicode":         {SecurityGroupDescription, "base de données", `contains 'é'; allowed are a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*`},
		"RuleDescAmpersand":     {SecurityGroupRuleDescription, "a & b", `contains '&'; allowed are a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=;{}!$*`},
		"RuleDescEmpty":         {SecurityGroupRuleDescription, "", ""},
		"RDSOK":                 {DBInstanceIdentifier, "orders-db-1", ""},
		"RDSDigitFirst":         {DBInstanceIdentifier, "9lives", "does not begin with a letter"},
		"RDSDoubleHyphen":       {DBInstanceIdentifier, "a--b", "contains two consecutive hyphens"},
		"RDSTrailingHyphen":     {DBInstanceIdentifier, "a-", "ends with a hyphen"},
		"RDSUpper":              {DBInstanceIdentifier, "Orders", `contains 'O'; allowed are lowercase letters, digits and hyphens`},
		"RDSLong":               {DBInstanceIdentifier, long(64), "longer than 63 characters"},
		"SnapshotMax":           {DBSnapshotIdentifier, long(255), ""},
		"SnapshotDot":           {DBSnapshotIdentifier, "a.b", `contains '.'; allowed are lowercase letters, digits and hyphens`},
		"SubnetGroupDefault":    {DBSubnetGroupName, "default", `is the reserved name "default"`},
		"SubnetGroupOK":         {DBSubnetGroupName, "orders-db-0123", ""},
		"ParameterGroupDigit":   {DBParameterGroupName, "1pg", "does not begin with a letter"},
		"DocDBClusterOK":        {DocDBClusterIdentifier, "orders-db-1a2b", ""},
		"DocDBClusterDigit":     {DocDBClusterIdentifier, "1orders", "does not begin with a letter"},
		"DocDBClusterLong":      {DocDBClusterIdentifier, long(64), "longer than 63 characters"},
		"DocDBClusterMax":       {DocDBClusterIdentifier, long(63), ""},
		"DocDBClusterUpper":     {DocDBClusterIdentifier, "Orders", `contains 'O'; allowed are lowercase letters, digits and hyphens`},
		"DocDBInstanceHyphens":  {DocDBInstanceIdentifier, "a--1", "contains two consecutive hyphens"},
		"DocDBInstanceTrailing": {DocDBInstanceIdentifier, "a-1-", "ends with a hyphen"},
		"DocDBSnapshotMax":      {DocDBSnapshotIdentifier, long(255), ""},
		"DocDBSnapshotLong":     {DocDBSnapshotIdentifier, long(256), "longer than 255 characters"},
		"DocDBParamGroupDot":    {DocDBClusterParameterGroupName, "docdb5.0", `contains '.'; allowed are lowercase letters, digits and hyphens`},
		"DocDBParamGroupOK":     {DocDBClusterParameterGroupName, "orders-1a2b-docdb5-0", ""},
		"DocDBSubnetDefault":    {DocDBSubnetGroupName, "default", `is the reserved name "default"`},
		"DocDBSubnetLong":       {DocDBSubnetGroupName, long(256), "longer than 255 characters"},
		"RGOK":                  {ReplicationGroupID, "orders-cache-0123456789ab", ""},
		"RGMax":                 {ReplicationGroupID, long(40), ""},
		"RGLong":                {ReplicationGroupID, long(41), "longer than 40 characters"},
		"RGDigitFirst":          {ReplicationGroupID, "9lives", "does not begin with a letter"},
		"RGDoubleHyphen":        {ReplicationGroupID, "a--b", "contains two consecutive hyphens"},
		"RGTrailingHyphen":      {ReplicationGroupID, "a-", "ends with a hyphen"},
		"RGUpper":               {ReplicationGroupID, "Orders", `contains 'O'; allowed are lowercase letters, digits and hyphens`},
		"CacheSubnetDefault":    {CacheSubnetGroupName, "default", `is the reserved name "default"`},
		"CacheSubnetLong":       {CacheSubnetGroupName, long(256), "longer than 255 characters"},
		"CacheSubnetUnderscore": {CacheSubnetGroupName, "a_b", `contains '_'; allowed are lowercase letters, digits and hyphens`},
		"CacheDescEmpty":        {ElastiCacheDescription, "", "shorter than 1 characters"},
		"BucketOK":              {S3BucketName, "9orders-assets", ""},
		"BucketShort":           {S3BucketName, "ab", "shorter than 3 characters"},
		"BucketLong":            {S3BucketName, long(64), "longer than 63 characters"},
		"BucketDot":             {S3BucketName, "a.b.c", `contains '.'; allowed are lowercase letters, digits and hyphens (paved allows no dots: they break TLS)`},
		"BucketXN":              {S3BucketName, "xn--abc", `begins with the reserved prefix "xn--"`},
		"BucketSthree":          {S3BucketName, "sthree-abc", `begins with the reserved prefix "sthree-"`},
		"BucketDemo":            {S3BucketName, "amzn-s3-demo-abc", `begins with the reserved prefix "amzn-s3-demo-"`},
		"BucketAlias":           {S3BucketName, "abc-s3alias", `ends with the reserved suffix "-s3alias"`},
		"BucketOL":              {S3BucketName, "abc--ol-s3", `ends with the reserved suffix "--ol-s3"`},
		"BucketX":               {S3BucketName, "abc--x-s3", `ends with the reserved suffix "--x-s3"`},
		"BucketTable":           {S3BucketName, "abc--table-s3", `ends with the reserved suffix "--table-s3"`},
		"BucketHyphenEnd":       {S3BucketName, "abc-", "does not end with a letter or digit"},
		"BucketHyphenStart":     {S3BucketName, "-abc", "does not begin with a letter or digit"},
		"QueueOK":               {SQSQueueName, "Orders_events-1", ""},
		"QueueMax":              {SQSQueueName, long(80), ""},
		"QueueLong":             {SQSQueueName, long(81), "longer than 80 characters"},
		"QueueEmpty":            {SQSQueueName, "", "shorter than 1 characters"},
		"QueueDot":              {SQSQueueName, "orders.fifo", `contains '.'; allowed are letters, digits, hyphens and underscores`},
		"QueueSpace":            {SQSQueueName, "orders events", `contains ' '; allowed are letters, digits, hyphens and underscores`},
		"FIFOQueueOK":           {SQSFIFOQueueName, "Orders_events-1.fifo", ""},
		"FIFOQueueMax":          {SQSFIFOQueueName, long(75) + ".fifo", ""},
		"FIFOQueueLong":         {SQSFIFOQueueName, long(76) + ".fifo", "longer than 80 characters"},
		"FIFOQueueNoSuffix":     {SQSFIFOQueueName, "orders", `does not end with ".fifo"`},
		"FIFOQueueOnlySuffix":   {SQSFIFOQueueName, ".fifo", "shorter than 6 characters"},
		"FIFOQueueDotInName":    {SQSFIFOQueueName, "a.b.fifo", `contains '.'; allowed are letters, digits, hyphens and underscores (then .fifo)`},
		"TagKeyAWS":             {TagKey, "aws:cloudformation:stack", `begins with the reserved prefix "aws:"`},
		"TagKeyOK":              {TagKey, "paved.dev/claim", ""},
		"TagKeyLong":            {TagKey, long(129), "longer than 128 characters"},
		"TagValueUnicode":       {TagValue, "équipe données 42", ""},
		"TagValueMax":           {TagValue, strings.Repeat("é", 256), ""},
		"TagValueLong":          {TagValue, long(257), "longer than 256 characters"},
		"TagValueBadCharacters": {TagValue, "a,b", `contains ','; allowed are letters, numbers, spaces and _ . : / = + - @`},
		"TagValueEmpty":         {TagValue, "", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.rule.Check(tc.v); got != tc.why {
				t.Errorf("%s.Check(%q) = %q, want %q", tc.rule.What, tc.v, got, tc.why)
			}
			err := tc.rule.Validate("spec.x", tc.v)
			if (err == nil) != (tc.why == "") {
				t.Fatalf("Validate(%q) = %v, want an error: %t", tc.v, err, tc.why != "")
			}
			if err != nil && (!strings.Contains(err.Error(), "spec.x") || !strings.Contains(err.Error(), tc.rule.Source)) {
				t.Errorf("Validate error %q does not name the field and the rule's source", err)
			}
		})
	}
}

// adversarial are inputs a claim's author may choose, as names or in
// descriptions.
var adversarial = []string{
	"", "a", "sg-reports", "SG-Reports", "xn--bcher-kva", "sthree-x", "amzn-s3-demo-x", "9lives", "007",
	"a.b-x", "a-b-x", "a..b", "-a-", "---", "x-s3alias", "x--ol-s3", "x--x-s3", "x--table-s3", "default",
	"192.168.5.4", "données", "数据库", "the platform's db", "aws:x", "\xff\xfe",
	strings.Repeat("a", 63), strings.Repeat("a.", 126) + "a", strings.Repeat("z", 400),
	strings.Repeat("ns", 31) + "x/" + strings.Repeat("n", 253),
}

var nameRules = []*Rule{SecurityGroupName, DBInstanceIdentifier, DBSnapshotIdentifier, DBSubnetGroupName, DBParameterGroupName, S3BucketName, SQSQueueName, SQSFIFOQueueName, ReplicationGroupID, CacheSubnetGroupName}

func TestNameIsValidAndKeepsID(t *testing.T) {
	for _, r := range nameRules {
		for _, id := range []string{"0123456789ab", "0123456789ab-final", "a"} {
			seen := map[string]string{}
			for _, base := range adversarial {
				n := r.Name(base, id)
				if why := r.Check(n); why != "" {
					t.Errorf("%s: Name(%q, %q) = %q: %s", r.What, base, id, n, why)
				}
				if !strings.HasSuffix(n, "-"+id+r.Suffix) {
					t.Errorf("%s: Name(%q, %q) = %q does not end with the id", r.What, base, id, n)
				}
				if again := r.Name(base, id); again != n {
					t.Errorf("%s: Name(%q, %q) is not deterministic: %q then %q", r.What, base, id, n, again)
				}
				seen[n] = base
			}
			// Distinct ids give distinct names, whatever the bases.
			for _, base := range adversarial {
				if other, ok := seen[r.Name(base, "ffffffffffff")]; ok {
					t.Errorf("%s: %q with another id collides with %q", r.What, base, other)
				}
			}
		}
	}
}

func TestNameReadable(t *testing.T) {
	cases := map[string]struct {
		rule     *Rule
		base, id string
		want     string
	}{
		"Plain":             {DBInstanceIdentifier, "orders-db-x7k2p", "0123456789ab", "orders-db-x7k2p-0123456789ab"},
		"DigitFirst":        {DBInstanceIdentifier, "9lives.db", "0123456789ab", "paved-9lives-db-0123456789ab"},
		"BucketDigit":       {S3BucketName, "9lives.db", "0123456789ab", "9lives-db-0123456789ab"},
		"SGPrefix":          {SecurityGroupName, "sg-reports", "0123456789ab", "paved-sg-reports-0123456789ab"},
		"SGPrefixBare":      {SecurityGroupName, "sg", "0123456789ab", "paved-sg-0123456789ab"},
		"BucketXN":          {S3BucketName, "xn--a", "0123456789ab", "xn-a-0123456789ab"},
		"BucketSthree":      {S3BucketName, "sthree-a", "0123456789ab", "paved-sthree-a-0123456789ab"},
		"Empty":             {S3BucketName, "...", "0123456789ab", "paved-0123456789ab"},
		"ShortBase":         {S3BucketName, "a", "0123456789ab", "a-0123456789ab"},
		"PrefixOfReserved":  {S3BucketName, "sthree", "0123456789ab", "paved-sthree-0123456789ab"},
		"SGPrefixTruncated": {SecurityGroupName, "sg", "0123456789ab", "paved-sg-0123456789ab"},
		"Unicode":           {DBInstanceIdentifier, "données", "0123456789ab", "donn-es-0123456789ab"},
		"Queue":             {SQSQueueName, "orders-events-x7k2p", "0123456789ab", "orders-events-x7k2p-0123456789ab"},
		"FIFOQueue":         {SQSFIFOQueueName, "orders.events", "0123456789ab-dlq", "orders-events-0123456789ab-dlq.fifo"},
		"FIFOQueueLong":     {SQSFIFOQueueName, strings.Repeat("a", 90), "0123456789ab", strings.Repeat("a", 62) + "-0123456789ab.fifo"},
		"LongIsShortened":   {S3BucketName, strings.Repeat("ab-", 40), "0123456789ab", "ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-0123456789ab"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.rule.Name(tc.base, tc.id); got != tc.want {
				t.Errorf("Name(%q, %q) = %q, want %q", tc.base, tc.id, got, tc.want)
			}
		})
	}
}

func TestTextIsValid(t *testing.T) {
	for _, r := range []*Rule{SecurityGroupDescription, SecurityGroupRuleDescription, RDSDescription, TagKey, TagValue} {
		seen := map[string]string{}
		for _, s := range adversarial {
			v := r.Text(s)
			if why := r.Check(v); why != "" {
				t.Errorf("%s: Text(%q) = %q: %s", r.What, s, v, why)
			}
			if r.Check(s) == "" && v != s {
				t.Errorf("%s: Text changed the valid %q to %q", r.What, s, v)
			}
			if utf8.RuneCountInString(s) > r.Max {
				if other, ok := seen[v]; ok {
					t.Errorf("%s: long values %q and %q shorten alike", r.What, s, other)
				}
				seen[v] = s
			}
		}
	}
	if got, want := SecurityGroupRuleDescription.Text("the platform's db"), "the platform s db"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

func TestTextShortcut(t *testing.T) {
	// Text returns a value that is already valid as it is; for every value
	// it answers what it would without that shortcut.
	r := rand.New(rand.NewPCG(5, 6))
	strs := append([]string{"", "aws:x", "paved database subnet group for orders/orders-db", "\ufffd", "a\xffb"}, adversarial...)
	alphabet := []rune("aZ09 ._-:/()#,@[]+=&;{}!$*'\"é\u00ff\ufffd\t")
	for range 5000 {
		b := make([]rune, r.IntN(300))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		strs = append(strs, string(b))
	}
	for _, rule := range []*Rule{SecurityGroupDescription, SecurityGroupRuleDescription, RDSDescription, TagKey, TagValue} {
		for _, s := range strs {
			if got, want := rule.Text(s), rule.text(s); got != want {
				t.Errorf("%s: Text(%q) = %q, without the shortcut %q", rule.What, s, got, want)
			}
		}
	}
}

// TestCheckComposed: a provider-aws kind is checked in either scope: a
// namespaced kind of provider-aws v2 (*.aws.m.upbound.io) by the rules of
// its cluster-scoped kind.
func TestCheckComposed(t *testing.T) {
	for _, scope := range []string{"", "m."} {
		t.Run("group *.aws."+scope+"upbound.io", func(t *testing.T) {
			checkComposed(t, scope)
		})
	}
}

func checkComposed(t *testing.T, scope string) {
	t.Helper()
	o := resource.MustStructJSON(`{
		"apiVersion": "ec2.aws.` + scope + `upbound.io/v1beta1", "kind": "SecurityGroup",
		"metadata": {"name": "x-security-group"},
		"spec": {"forProvider": {"name": "sg-x", "description": "it's", "tags": {"aws:k": "v", "ok": "a,b"}}}
	}`)
	want := []string{
		`SecurityGroup x-security-group: spec.forProvider.name: invalid value "sg-x": an EC2 security group name: begins with the reserved prefix "sg-"`,
		`SecurityGroup x-security-group: spec.forProvider.description: invalid value "it's"`,
		`SecurityGroup x-security-group: spec.forProvider.tags[aws:k] (key): invalid value "aws:k"`,
		`SecurityGroup x-security-group: spec.forProvider.tags[ok]: invalid value "a,b"`,
	}
	errs := CheckComposed(o)
	if len(errs) != len(want) {
		t.Fatalf("CheckComposed: got %d errors, want %d: %v", len(errs), len(want), errs)
	}
	for i, w := range want {
		if !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("error %d = %q, want prefix %q", i, errs[i], w)
		}
	}

	// DocumentDB's cloud names are external names (provider-aws
	// ParameterAsIdentifier and NameAsIdentifier), its final snapshot a
	// forProvider field.
	d := resource.MustStructJSON(`{"apiVersion": "docdb.aws.` + scope + `upbound.io/v1beta1", "kind": "Cluster",
		"metadata": {"name": "x-cluster", "annotations": {"crossplane.io/external-name": "9-x"}},
		"spec": {"forProvider": {"finalSnapshotIdentifier": "x--final"}}}`)
	want = []string{
		`Cluster x-cluster: metadata.annotations[crossplane.io/external-name]: invalid value "9-x": an Amazon DocumentDB cluster identifier: does not begin with a letter`,
		`Cluster x-cluster: spec.forProvider.finalSnapshotIdentifier: invalid value "x--final": an Amazon DocumentDB cluster snapshot identifier: contains two consecutive hyphens`,
	}
	if errs := CheckComposed(d); len(errs) != len(want) {
		t.Errorf("CheckComposed(docdb Cluster): got %v, want %d errors", errs, len(want))
	} else {
		for i, w := range want {
			if !strings.HasPrefix(errs[i].Error(), w) {
				t.Errorf("error %d = %q, want prefix %q", i, errs[i], w)
			}
		}
	}
	for kind, name := range map[string]string{"ClusterInstance": "x-", "ClusterParameterGroup": "x.y", "SubnetGroup": "default"} {
		o := resource.MustStructJSON(`{"apiVersion": "docdb.aws.` + scope + `upbound.io/v1beta1", "kind": "` + kind + `", "metadata": {"name": "` + name + `"}}`)
		if errs := CheckComposed(o); len(errs) != 1 || !strings.Contains(errs[0].Error(), "Amazon DocumentDB") {
			t.Errorf("docdb %s named %q: %v, want the DocumentDB name rule's error", kind, name, errs)
		}
	}

	b := resource.MustStructJSON(`{"apiVersion": "s3.aws.` + scope + `upbound.io/v1beta1", "kind": "Bucket", "metadata": {"name": "Has.Dots"}}`)
	if errs := CheckComposed(b); len(errs) != 1 || !strings.Contains(errs[0].Error(), "metadata.annotations[crossplane.io/external-name]") {
		t.Errorf("a Bucket without an external name is checked by its metadata.name: %v", errs)
	}
	b = resource.MustStructJSON(`{"apiVersion": "s3.aws.` + scope + `upbound.io/v1beta1", "kind": "Bucket", "metadata": {"name": "Has.Dots", "annotations": {"crossplane.io/external-name": "fine-name"}}}`)
	if errs := CheckComposed(b); len(errs) != 0 {
		t.Errorf("the external name annotation is the bucket name: %v", errs)
	}

	// An SQS queue's name rule depends on whether it is a FIFO queue.
	queue := func(name string, fifo bool) []string {
		q := resource.MustStructJSON(`{"apiVersion": "sqs.aws.` + scope + `upbound.io/v1beta1", "kind": "Queue", "metadata": {"name": "q"}, "spec": {"forProvider": {}}}`)
		pb.Set(q, pb.Str(name), "spec", "forProvider", "name")
		if fifo {
			pb.Set(q, pb.Boolean(true), "spec", "forProvider", "fifoQueue")
		}
		var out []string
		for _, e := range CheckComposed(q) {
			out = append(out, e.Error())
		}
		return out
	}
	for _, tc := range []struct {
		name string
		fifo bool
		want string // "" valid, else part of the one error
	}{
		{"orders-0123", false, ""},
		{"orders-0123.fifo", true, ""},
		{"orders-0123.fifo", false, `an SQS queue name: contains '.'`},
		{"orders-0123", true, `an SQS FIFO queue name: does not end with ".fifo"`},
	} {
		errs := queue(tc.name, tc.fifo)
		if tc.want == "" && len(errs) != 0 || tc.want != "" && (len(errs) != 1 || !strings.Contains(errs[0], tc.want)) {
			t.Errorf("Queue %q (fifo %t): errors %q, want %q", tc.name, tc.fifo, errs, tc.want)
		}
	}
}

// TestCharsetIsAllowed: the ASCII table a rule checks characters with
// answers what the rule's Allowed answers, for every rule and character.
func TestCharsetIsAllowed(t *testing.T) {
	rules := []*Rule{
		SecurityGroupName, SecurityGroupDescription, SecurityGroupRuleDescription,
		DBInstanceIdentifier, DBSnapshotIdentifier, DBSubnetGroupName, DBParameterGroupName, RDSDescription,
		DocDBClusterIdentifier, DocDBInstanceIdentifier, DocDBSnapshotIdentifier, DocDBClusterParameterGroupName, DocDBSubnetGroupName,
		ReplicationGroupID, CacheSubnetGroupName, ElastiCacheDescription,
		S3BucketName, SQSQueueName, SQSFIFOQueueName, TagKey, TagValue,
	}
	for _, r := range rules {
		cs := r.charset()
		for c := range rune(0x3000) {
			if got, want := cs.has(c), r.Allowed(c); got != want {
				t.Errorf("%s: %q allowed by the table: %v, by Allowed: %v", r.What, c, got, want)
			}
		}
	}
}

// TestCheckerSharedTags: a Checker checks a tags object that several
// resources share once when it is valid, and reports an invalid one on
// every resource that carries it.
func TestCheckerSharedTags(t *testing.T) {
	sg := func(name string, tags *structpb.Struct) *structpb.Struct {
		o := resource.MustStructJSON(`{"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "SecurityGroup",
			"metadata": {"name": "` + name + `"}, "spec": {"forProvider": {"name": "` + name + `"}}}`)
		o.Fields["spec"].GetStructValue().Fields["forProvider"].GetStructValue().Fields["tags"] = structpb.NewStructValue(tags)
		return o
	}
	valid := resource.MustStructJSON(`{"paved.dev/composite": "orders"}`)
	invalid := resource.MustStructJSON(`{"aws:k": "v"}`)
	var c Checker
	for _, name := range []string{"a", "b"} {
		if errs := c.Check(sg(name, valid)); len(errs) != 0 {
			t.Errorf("valid shared tags on %s: %v", name, errs)
		}
		errs := c.Check(sg(name, invalid))
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), "SecurityGroup "+name+": spec.forProvider.tags[aws:k] (key)") {
			t.Errorf("invalid shared tags on %s: got %v, want the aws:k key refused", name, errs)
		}
	}
	if len(c.validTags) != 1 || c.validTags[0] != valid {
		t.Errorf("the Checker remembers %d tags objects as valid, want only the valid one", len(c.validTags))
	}
}
