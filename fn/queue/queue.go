// Package queue composes a QueueClaim (XQueue), or a namespaced Queue, into
// an Amazon SQS queue with a dead-letter queue: both encrypted at rest,
// reachable over TLS only and by principals of the account only, the
// dead-letter queue taking messages from its own queue only.
package queue

import (
	"fmt"
	"regexp"
	"strconv"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/paved-dev/paved/fn/internal/awsrules"
	"github.com/paved-dev/paved/fn/internal/compose"
	"github.com/paved-dev/paved/fn/internal/env"
	"github.com/paved-dev/paved/fn/internal/field"
	"github.com/paved-dev/paved/fn/internal/pb"
)

// Kind is the legacy composite kind this composer handles; NamespacedKind
// the namespaced one (Crossplane v2), composed alike in its namespace.
const (
	Kind           = "XQueue"
	NamespacedKind = "Queue"
)

// Names of the composed resources in the pipeline.
const (
	Queue                 = "queue"
	DeadLetterQueue       = "dead-letter-queue"
	QueuePolicy           = "queue-policy"
	DeadLetterQueuePolicy = "dead-letter-queue-policy"
)

// provider-aws v1.23.0 serves and stores sqs Queue and QueuePolicy at
// v1beta1 (package/crds/sqs.aws.upbound.io_queues.yaml,
// sqs.aws.upbound.io_queuepolicies.yaml).
const apiVersion = "sqs.aws.upbound.io/v1beta1"

// Claim bounds and defaults: SetQueueAttributes
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html):
// MessageRetentionPeriod "from 60 (1 minute) to 1,209,600 (14 days).
// Default: 345,600 (4 days)"; VisibilityTimeout "from 0 to 43,200 (12
// hours). Default: 30"; RedrivePolicy's maxReceiveCount, default 10. The
// console takes a maxReceiveCount from 1 to 1,000
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html).
const (
	MinRetentionSeconds     = 60
	MaxRetentionSeconds     = 1209600
	DefaultRetentionSeconds = 345600

	MinVisibilityTimeout     = 0
	MaxVisibilityTimeout     = 43200
	DefaultVisibilityTimeout = 30

	MinMaxReceiveCount     = 1
	MaxMaxReceiveCount     = 1000
	DefaultMaxReceiveCount = 10

	// DeadLetterRetentionSeconds keeps a dead letter as long as SQS can:
	// a message's expiry counts from its first enqueue in the source
	// queue, so AWS advises a dead-letter queue's retention longer than
	// the source's
	// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
	DeadLetterRetentionSeconds = MaxRetentionSeconds
)

// Engine is the one engine a queue has. Engines names those the guide's
// golden path offers that paved refuses, and why (README, "Queues").
const Engine = "sqs"

// refusedEngines are the engines the guide's cookiecutter names that paved
// does not offer, with what a claim is told.
var refusedEngines = map[string]string{
	"rabbitmq": "rabbitmq (Amazon MQ) is not offered: a broker is an always-on instance per queue, outside the platform's VPC rules and patching; use engine sqs",
	"kafka":    "kafka (Amazon MSK) is not offered: a streaming cluster per claim is neither a queue nor a cost a team should start by itself; use engine sqs",
}

// claim is a validated QueueClaim spec.
type claim struct {
	fifo              bool
	retentionSeconds  int
	visibilityTimeout int
	maxReceiveCount   int
}

var (
	retentionAllowed  = fmt.Sprintf("a whole number of seconds from %d (1 minute) to %d (14 days), default %d (4 days)", MinRetentionSeconds, MaxRetentionSeconds, DefaultRetentionSeconds)
	visibilityAllowed = fmt.Sprintf("a whole number of seconds from %d to %d (12 hours), default %d", MinVisibilityTimeout, MaxVisibilityTimeout, DefaultVisibilityTimeout)
	receiveAllowed    = fmt.Sprintf("a whole number of receives from %d to %d before a message moves to the dead-letter queue, default %d", MinMaxReceiveCount, MaxMaxReceiveCount, DefaultMaxReceiveCount)
)

func parse(spec *structpb.Struct) (*claim, error) {
	var errs field.List
	c := &claim{retentionSeconds: DefaultRetentionSeconds, visibilityTimeout: DefaultVisibilityTimeout, maxReceiveCount: DefaultMaxReceiveCount}
	if pb.Has(spec, "engine") {
		switch e, ok := pb.String(spec, "engine"); {
		case ok && e == Engine:
		case ok && refusedEngines[e] != "":
			errs.Add(field.Invalid("spec.engine", e, "\"sqs\", the one engine paved offers: "+refusedEngines[e]))
		default:
			errs.Add(field.OneOf("spec.engine", pb.Get(spec, "engine").AsInterface(), Engine))
		}
	}
	if pb.Has(spec, "fifo") {
		v, ok := pb.Bool(spec, "fifo")
		if !ok {
			errs.Add(field.Invalid("spec.fifo", pb.Get(spec, "fifo").AsInterface(), "true for a FIFO queue, false (the default) for a standard queue"))
		}
		c.fifo = v
	}
	for _, n := range []struct {
		name    string
		lo, hi  int
		allowed string
		to      *int
	}{
		{"messageRetentionSeconds", MinRetentionSeconds, MaxRetentionSeconds, retentionAllowed, &c.retentionSeconds},
		{"visibilityTimeoutSeconds", MinVisibilityTimeout, MaxVisibilityTimeout, visibilityAllowed, &c.visibilityTimeout},
		{"maxReceiveCount", MinMaxReceiveCount, MaxMaxReceiveCount, receiveAllowed, &c.maxReceiveCount},
	} {
		v, err := compose.WholeNumber(spec, n.name, n.lo, n.hi, n.allowed)
		errs.Add(err)
		if err == nil && pb.Has(spec, n.name) {
			*n.to = v
		}
	}
	errs.Add(compose.SecureSetting(spec, "publicAccess", false, "paved queues deny every principal outside their account"))
	errs.Add(compose.SecureSetting(spec, "encrypted", true, "paved queues are always encrypted at rest"))
	return c, errs.Err()
}

// nameRule is the rule of the queue's names: a FIFO queue's ends with
// .fifo, and a FIFO queue's dead-letter queue must be a FIFO queue too
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
func (c *claim) nameRule() *awsrules.Rule {
	if c.fifo {
		return awsrules.SQSFIFOQueueName
	}
	return awsrules.SQSQueueName
}

// Composer composes XQueues.
type Composer struct{}

// Component is the app.kubernetes.io/component of what it composes.
func (Composer) Component() string { return component }

const component = "queue"

// ConditionType is the custom condition it reports on composite and claim.
func (Composer) ConditionType() string { return "QueueReady" }

// ValidateEnvironment checks the AWS settings a queue is placed with.
func (Composer) ValidateEnvironment(e *env.Environment) error { return e.ValidateAWS() }

// Compose adds the queues' resources to s.
//
// The dead-letter queue comes first: the queue's redrive policy names its
// ARN, which SQS assigns and provider-aws reports
// (status.atProvider.arn). Its ARN also says the account, which the
// policies deny every other account by; so the queue and both policies
// are composed once the dead-letter queue is observed, and until then the
// composite waits for them (compose.Report.Await). Nothing is guessed.
func (Composer) Compose(xr *compose.Composite, e *env.Environment, s *compose.Set) error {
	c, err := parse(xr.Spec())
	if err != nil {
		return err
	}
	if err := e.RequireRegion(); err != nil {
		return err
	}
	// A namespaced composite has no connection secret of its own: the
	// details Status returns are composed as a Secret.
	if err := s.ComposeConnectionSecret(component); err != nil {
		return err
	}
	// Every queue name carries the composite's uid digest (package
	// naming): no tenant chooses it. An existing queue keeps the name it
	// has (Set.Keep): SQS cannot rename a queue.
	names := xr.Names()
	rule := c.nameRule()
	mainName := s.Keep(Queue, rule.Valid, names.Cloud(rule, ""), "spec", "forProvider", "name")
	dlqName := s.Keep(DeadLetterQueue, rule.Valid, names.Cloud(rule, "dlq"), "spec", "forProvider", "name")

	dlq := queueParameters(e, s, dlqName, c.fifo, DeadLetterRetentionSeconds, c.visibilityTimeout)
	account, hasAccount := accountOf(s.Observed(DeadLetterQueue))
	mainARN := ARN(e.Region, account, mainName)
	if hasAccount {
		// Only this composite's queue may send its dead letters here
		// (SetQueueAttributes, RedriveAllowPolicy: "byQueue – Only queues
		// specified by the sourceQueueArns parameter can specify this
		// queue as the dead-letter queue").
		dlq["redriveAllowPolicy"] = pb.Str(redriveAllowPolicy(mainARN))
	}
	s.Add(DeadLetterQueue, apiVersion, "Queue", names.Object(DeadLetterQueue), orphan(dlq))
	if !hasAccount {
		s.Await(Queue, "its redrive policy needs the dead-letter queue's ARN")
		s.Await(QueuePolicy, "")
		s.Await(DeadLetterQueuePolicy, "")
		return nil
	}

	dlqARN := ARN(e.Region, account, dlqName)
	main := queueParameters(e, s, mainName, c.fifo, c.retentionSeconds, c.visibilityTimeout)
	main["redrivePolicy"] = pb.Str(redrivePolicy(dlqARN, c.maxReceiveCount))
	s.Add(Queue, apiVersion, "Queue", names.Object(Queue), orphan(main))

	for _, p := range []struct{ name, queue, arn string }{
		{QueuePolicy, Queue, mainARN},
		{DeadLetterQueuePolicy, DeadLetterQueue, dlqARN},
	} {
		s.Add(p.name, apiVersion, "QueuePolicy", names.Object(p.name), orphan(pb.Fields{
			"region": pb.Str(e.Region),
			// The queue of this composite, and no other; provider-aws
			// resolves its URL from the Queue's id (config/sqs/config.go,
			// queue_url: PathTerraformIDExtractor).
			"queueUrlSelector": compose.Selector(p.queue),
			"policy":           pb.Str(Policy(p.arn, account)),
		}))
	}
	s.Protect(Queue, "paved orphans, as SQS deletes a queue with its messages (DeleteQueue): it stays in AWS with its dead-letter queue and both policies, encrypted and closed, until a platform operator deletes them",
		compose.Keep(DeadLetterQueue, QueuePolicy, DeadLetterQueuePolicy)...)
	return nil
}

// queueParameters are a queue's spec.forProvider: its name, type,
// retention, visibility timeout and encryption at rest.
//
// Server-side encryption: with the platform's KMS key when the environment
// has one (SSE-KMS, kmsMasterKeyId), else with SQS-owned keys (SSE-SQS,
// sqsManagedSseEnabled); SQS takes one or the other
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html,
// SetQueueAttributes KmsMasterKeyId and SqsManagedSseEnabled).
func queueParameters(e *env.Environment, s *compose.Set, name string, fifo bool, retention, visibility int) pb.Fields {
	fp := pb.Fields{
		"region":                   pb.Str(e.Region),
		"name":                     pb.Str(name),
		"messageRetentionSeconds":  pb.Int(retention),
		"visibilityTimeoutSeconds": pb.Int(visibility),
		"tags":                     s.Tags(),
	}
	if fifo {
		fp["fifoQueue"] = pb.Boolean(true)
	}
	if e.KMSKeyID != "" {
		fp["kmsMasterKeyId"] = pb.Str(e.KMSKeyID)
	} else {
		fp["sqsManagedSseEnabled"] = pb.Boolean(true)
	}
	return fp
}

// orphan is the spec of a managed resource that deleting the claim leaves
// in AWS (README, "Decommission"): SQS's DeleteQueue deletes a queue and
// every message in it, whatever it holds
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html),
// so no claim's deletion does. The queues' policies stay with them, so
// that what stays is as closed as it was.
func orphan(forProvider pb.Fields) pb.Fields {
	return pb.Fields{
		"deletionPolicy": pb.Const("Orphan"),
		"forProvider":    pb.Obj(forProvider),
	}
}

// reQueueARN is an SQS queue's ARN, arn:<partition>:sqs:<region>:<account>:<name>
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html#amazonsqs-resources-for-iam-policies).
var reQueueARN = regexp.MustCompile(`^arn:[a-z-]+:sqs:[a-z0-9-]+:([0-9]{12}):[A-Za-z0-9_.-]+$`)

// accountOf is the account of an observed queue, from the ARN provider-aws
// reports.
func accountOf(observed *structpb.Struct) (string, bool) {
	arn, _ := pb.String(observed, "status", "atProvider", "arn")
	m := reQueueARN.FindStringSubmatch(arn)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// ARN is the ARN of a queue of an account in a region's partition. The
// region has been validated, so its partition is known.
func ARN(region, account, name string) string {
	p, _ := env.Partition(region)
	return "arn:" + p + ":sqs:" + region + ":" + account + ":" + name
}

// redriveAllowPolicy is a dead-letter queue's RedriveAllowPolicy that lets
// only the queue sourceARN send its dead letters there: the JSON document
// {"redrivePermission": "byQueue", "sourceQueueArns": [sourceARN]}, written
// as encoding/json writes it (keys sorted; TestDocumentsAsEncodingJSON).
// Written directly, as the queue policy: by json.Marshal's reflection over
// maps the four documents of every reconcile after the first took 17 µs
// and 143 allocations, directly 1.9 µs and 11 (BenchmarkDocuments,
// 2026-12-05), where a queue's whole first reconcile takes about 24 µs in
// process.
func redriveAllowPolicy(sourceARN string) string {
	return `{"redrivePermission":"byQueue","sourceQueueArns":[` + compose.JSONString(sourceARN) + `]}`
}

// redrivePolicy is a queue's RedrivePolicy: {"deadLetterTargetArn":
// dlqARN, "maxReceiveCount": n}, written as encoding/json writes it.
func redrivePolicy(dlqARN string, maxReceiveCount int) string {
	return `{"deadLetterTargetArn":` + compose.JSONString(dlqARN) + `,"maxReceiveCount":` + strconv.Itoa(maxReceiveCount) + `}`
}

// Policy is a queue policy that denies every request to the queue arn not
// made over TLS, and every request by a principal outside account:
//
//	{"Version": "2012-10-17", "Statement": [
//	  {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
//	   "Resource": arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
//	  {"Sid": "DenyOtherAccounts", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
//	   "Resource": arn, "Condition": {"StringNotEquals": {"aws:PrincipalAccount": account}}}]}
//
// written as encoding/json writes it (keys sorted, no spaces).
//
// aws:SecureTransport is false for a request not sent over TLS; AWS's SQS
// guide denies those with it
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html#enforce-encryption-data-in-transit).
// aws:PrincipalAccount is "the account to which the requesting principal
// belongs", in the request context of every signed request
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount);
// StringNotEquals also matches a request without it, so anonymous and
// AWS-service principals (an SNS topic, an EventBridge rule) are denied
// too: a platform team that needs one adds its own statement. An explicit
// Deny wins over every Allow
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
func Policy(arn, account string) string {
	a := compose.JSONString(arn)
	return `{"Statement":[` +
		`{"Action":"sqs:*","Condition":{"Bool":{"aws:SecureTransport":"false"}},"Effect":"Deny","Principal":"*","Resource":` + a + `,"Sid":"DenyInsecureTransport"},` +
		`{"Action":"sqs:*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":` + compose.JSONString(account) + `}},"Effect":"Deny","Principal":"*","Resource":` + a + `,"Sid":"DenyOtherAccounts"}` +
		`],"Version":"2012-10-17"}`
}

// Placement says where existing queues record their region and KMS key,
// so that an environment change never moves them (see compose.Set.Pin):
// in the dead-letter queue, which exists before the queue is composed
// (Compose) and holds the placement both were composed with.
func (Composer) Placement() []compose.Pin { return placement }

var placement = []compose.Pin{
	{Setting: env.Region, Resource: DeadLetterQueue, Paths: [][]string{{"spec", "forProvider", "region"}}},
	{Setting: env.KMSKeyID, Resource: DeadLetterQueue, Paths: [][]string{
		{"spec", "forProvider", "kmsMasterKeyId"}, {"status", "atProvider", "kmsMasterKeyId"},
	}},
}

// Check refuses what SQS cannot change: a queue's type. "You can't convert
// an existing standard queue into a FIFO queue" (nor back), and
// CreateQueue's FifoQueue is set at creation only
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-moving.html,
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
func (Composer) Check(xr *compose.Composite, s *compose.Set) error {
	c, err := parse(xr.Spec())
	if err != nil {
		return nil //nolint:nilerr // Compose reports it.
	}
	for _, q := range []string{Queue, DeadLetterQueue} {
		obs := s.Observed(q)
		if obs == nil {
			continue
		}
		fifo, ok := pb.Bool(obs, "status", "atProvider", "fifoQueue")
		if !ok {
			fifo, _ = pb.Bool(obs, "spec", "forProvider", "fifoQueue")
		}
		if fifo != c.fifo {
			var errs field.List
			errs.Add(field.Invalid("spec.fifo", c.fifo, strconv.FormatBool(fifo)+", the type of the existing queue: SQS cannot turn a standard queue into a FIFO queue or back; create a new claim and move the consumers"))
			return &compose.ChangeError{Err: errs.Err()}
		}
	}
	return nil
}

// Status reads the queues' names, URLs and ARNs and the region from what
// the provider observed: the claim's connection details and status. A
// namespaced composite also reports the Secret they are written to.
func (Composer) Status(_ *compose.Composite, s *compose.Set) compose.Status {
	st := compose.Status{Fields: pb.Fields{}, ConnectionDetails: map[string][]byte{}}
	if n := s.ConnectionSecretName(); n != "" {
		st.Fields["secretName"] = pb.Str(n)
	}
	set := func(key, v string) {
		if v != "" {
			st.Fields[key] = pb.Str(v)
			st.ConnectionDetails[key] = []byte(v)
		}
	}
	for _, q := range []struct{ name, prefix string }{{Queue, "queue"}, {DeadLetterQueue, "deadLetterQueue"}} {
		obs := s.Observed(q.name)
		for _, f := range observedFields {
			v, _ := pb.String(obs, "status", "atProvider", f.path)
			set(q.prefix+f.key, v)
		}
		if q.name == Queue {
			v, _ := pb.String(obs, "spec", "forProvider", "region")
			set("region", v)
		}
	}
	return st
}

// observedFields are what Status reads of each observed queue: the suffix
// of its status and connection keys, and its field in status.atProvider.
var observedFields = []struct{ key, path string }{{"Name", "name"}, {"Url", "url"}, {"Arn", "arn"}}

// Validate checks a QueueClaim spec the way Compose does, so that a claim
// embedding one (a ServiceBundle's spec.queue) refuses bad input before
// anything is composed. Its field errors name spec.<field>.
func Validate(spec *structpb.Struct) error {
	_, err := parse(spec)
	return err
}
