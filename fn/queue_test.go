package fn

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/paved-dev/paved/fn/internal/pb"
	"github.com/paved-dev/paved/fn/queue"
)

// observedQueue is a queue provider-aws reports as existing, with the ARN
// and URL SQS gave it in account 111122223333.
func observedQueue(name string, fifo bool) *fnv1.Resource {
	o := mustStructJSON(`{
		"apiVersion": "sqs.aws.upbound.io/v1beta1", "kind": "Queue",
		"spec": {"forProvider": {"region": "eu-west-1"}},
		"status": {"atProvider": {}, "conditions": [{"type": "Ready", "status": "True", "reason": "Available"}, {"type": "Synced", "status": "True", "reason": "ReconcileSuccess"}]}
	}`)
	pb.Set(o, pb.Str(name), "spec", "forProvider", "name")
	pb.Set(o, pb.Str(name), "status", "atProvider", "name")
	pb.Set(o, pb.Str("arn:aws:sqs:eu-west-1:111122223333:"+name), "status", "atProvider", "arn")
	pb.Set(o, pb.Str("https://sqs.eu-west-1.amazonaws.com/111122223333/"+name), "status", "atProvider", "url")
	pb.Set(o, pb.Boolean(fifo), "status", "atProvider", "fifoQueue")
	return &fnv1.Resource{Resource: o}
}

func xqueue(spec string) *fnv1.Resource { return xr(queue.Kind, "QueueClaim", "orders-events", spec) }

// TestQueueComposesAfterDeadLetterQueue: the dead-letter queue comes
// first, alone, and the composite is not ready; once it exists its ARN
// names the account, and the queue (redriving to it), both policies and
// the Usages follow. Nothing composed names an account before one is known.
func TestQueueComposesAfterDeadLetterQueue(t *testing.T) {
	f := New(logging.NewNopLogger())
	rsp, err := run(f, runReq(input, &fnv1.State{Composite: xqueue(`{"fifo": true, "maxReceiveCount": 3}`)}))
	if err != nil {
		t.Fatal(err)
	}
	got := rsp.GetDesired().GetResources()
	if len(got) != 1 || got[queue.DeadLetterQueue] == nil {
		t.Fatalf("first composition: %d resources %v, want the dead-letter queue alone", len(got), keys(got))
	}
	if rsp.GetDesired().GetComposite().GetReady() != fnv1.Ready_READY_FALSE {
		t.Error("the composite is ready while its queue is not composed")
	}
	if c := condition(rsp, "QueueReady"); c == nil || c.GetReason() != "Creating" || !strings.Contains(c.GetMessage(), "queue (its redrive policy needs the dead-letter queue's ARN)") {
		t.Errorf("QueueReady = %v, want Creating naming the awaited queue", c)
	}
	dlq := got[queue.DeadLetterQueue].GetResource()
	dlqName, _ := pb.String(dlq, "spec", "forProvider", "name")
	if !strings.HasSuffix(dlqName, "-dlq.fifo") {
		t.Errorf("a FIFO queue's dead-letter queue is named %q, want a FIFO queue's name", dlqName)
	}

	rsp, err = run(f, runReq(input, &fnv1.State{Composite: xqueue(`{"fifo": true, "maxReceiveCount": 3}`),
		Resources: map[string]*fnv1.Resource{queue.DeadLetterQueue: observedQueue(dlqName, true)}}))
	if err != nil {
		t.Fatal(err)
	}
	got = rsp.GetDesired().GetResources()
	for _, n := range []string{queue.Queue, queue.DeadLetterQueue, queue.QueuePolicy, queue.DeadLetterQueuePolicy, "protect-" + queue.DeadLetterQueue, "protect-" + queue.QueuePolicy, "protect-" + queue.DeadLetterQueuePolicy} {
		if got[n] == nil {
			t.Errorf("once the dead-letter queue exists, %s is not composed (got %v)", n, keys(got))
		}
	}
	main := got[queue.Queue].GetResource()
	mainName, _ := pb.String(main, "spec", "forProvider", "name")
	var redrive struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     int    `json:"maxReceiveCount"`
	}
	doc, _ := pb.String(main, "spec", "forProvider", "redrivePolicy")
	if err := json.Unmarshal([]byte(doc), &redrive); err != nil || redrive.DeadLetterTargetArn != "arn:aws:sqs:eu-west-1:111122223333:"+dlqName || redrive.MaxReceiveCount != 3 {
		t.Errorf("redrivePolicy %s (%v), want the dead-letter queue's ARN and 3 receives", doc, err)
	}
	var allow struct {
		RedrivePermission string   `json:"redrivePermission"`
		SourceQueueArns   []string `json:"sourceQueueArns"`
	}
	doc, _ = pb.String(got[queue.DeadLetterQueue].GetResource(), "spec", "forProvider", "redriveAllowPolicy")
	if err := json.Unmarshal([]byte(doc), &allow); err != nil || allow.RedrivePermission != "byQueue" || len(allow.SourceQueueArns) != 1 || allow.SourceQueueArns[0] != "arn:aws:sqs:eu-west-1:111122223333:"+mainName {
		t.Errorf("redriveAllowPolicy %s (%v), want byQueue of the queue alone", doc, err)
	}
	for _, p := range []string{queue.QueuePolicy, queue.DeadLetterQueuePolicy} {
		sel, _ := pb.String(got[p].GetResource(), "spec", "forProvider", "queueUrlSelector", "matchLabels", "app.kubernetes.io/name")
		want := map[string]string{queue.QueuePolicy: queue.Queue, queue.DeadLetterQueuePolicy: queue.DeadLetterQueue}[p]
		if sel != want {
			t.Errorf("%s selects %q, want %q", p, sel, want)
		}
	}
}

func TestQueuePolicy(t *testing.T) {
	var doc struct {
		Statement []struct {
			Effect, Principal, Action, Resource string
			Condition                           map[string]map[string]string
		}
	}
	arn := "arn:aws:sqs:eu-west-1:111122223333:q"
	if err := json.Unmarshal([]byte(queue.Policy(arn, "111122223333")), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Bool aws:SecureTransport": "false", "StringNotEquals aws:PrincipalAccount": "111122223333"}
	if len(doc.Statement) != len(want) {
		t.Fatalf("%d statements, want %d", len(doc.Statement), len(want))
	}
	for _, s := range doc.Statement {
		if s.Effect != "Deny" || s.Principal != "*" || s.Action != "sqs:*" || s.Resource != arn {
			t.Errorf("statement %+v does not deny everything on the queue", s)
		}
		for op, kv := range s.Condition {
			for k, v := range kv {
				if want[op+" "+k] != v {
					t.Errorf("condition %s %s=%s unexpected", op, k, v)
				}
				delete(want, op+" "+k)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("conditions missing: %v", want)
	}
}

func TestQueueRefusesTypeChange(t *testing.T) {
	f := New(logging.NewNopLogger())
	name := "orders-events-x7k2p-" + "dlq" // any existing standard queue
	rsp, err := run(f, runReq(input, &fnv1.State{Composite: xqueue(`{"fifo": true}`),
		Resources: map[string]*fnv1.Resource{queue.DeadLetterQueue: observedQueue(name, false)}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(rsp.GetDesired().GetResources()) != 0 {
		t.Errorf("a refused change composed %d resources", len(rsp.GetDesired().GetResources()))
	}
	if c := condition(rsp, "QueueReady"); c == nil || c.GetReason() != "ChangeRefused" || !strings.Contains(c.GetMessage(), "spec.fifo: invalid value true: false, the type of the existing queue") {
		t.Errorf("QueueReady = %v, want ChangeRefused naming spec.fifo", c)
	}
}

func TestQueueRefusesEngines(t *testing.T) {
	f := New(logging.NewNopLogger())
	for spec, want := range map[string]string{
		`{"engine": "rabbitmq"}`:               `spec.engine: invalid value "rabbitmq": "sqs", the one engine paved offers: rabbitmq (Amazon MQ) is not offered`,
		`{"engine": "kafka"}`:                  `spec.engine: invalid value "kafka": "sqs", the one engine paved offers: kafka (Amazon MSK) is not offered`,
		`{"engine": "nats"}`:                   `spec.engine: invalid value "nats": allowed values are "sqs"`,
		`{"messageRetentionSeconds": 59}`:      `spec.messageRetentionSeconds: invalid value 59: a whole number of seconds from 60 (1 minute) to 1209600 (14 days)`,
		`{"messageRetentionSeconds": 1209601}`: `spec.messageRetentionSeconds: invalid value 1209601`,
		`{"visibilityTimeoutSeconds": 43201}`:  `spec.visibilityTimeoutSeconds: invalid value 43201: a whole number of seconds from 0 to 43200 (12 hours)`,
		`{"maxReceiveCount": 0}`:               `spec.maxReceiveCount: invalid value 0: a whole number of receives from 1 to 1000`,
		`{"fifo": "yes"}`:                      `spec.fifo: invalid value "yes"`,
		`{"encrypted": false}`:                 `spec.encrypted: invalid value false: only true is allowed`,
		`{"publicAccess": true}`:               `spec.publicAccess: invalid value true: only false is allowed`,
	} {
		rsp, err := run(f, runReq(input, &fnv1.State{Composite: xqueue(spec)}))
		if err != nil {
			t.Fatal(err)
		}
		c := condition(rsp, "QueueReady")
		if len(rsp.GetDesired().GetResources()) != 0 || c == nil || c.GetReason() != "InvalidClaim" || !strings.Contains(c.GetMessage(), want) {
			t.Errorf("%s: %d resources, QueueReady %v, want InvalidClaim with %q", spec, len(rsp.GetDesired().GetResources()), c, want)
		}
	}
	// The bounds themselves are accepted.
	for _, spec := range []string{`{"engine": "sqs", "messageRetentionSeconds": 60, "visibilityTimeoutSeconds": 0, "maxReceiveCount": 1}`,
		`{"messageRetentionSeconds": 1209600, "visibilityTimeoutSeconds": 43200, "maxReceiveCount": 1000, "fifo": false}`} {
		rsp, err := run(f, runReq(input, &fnv1.State{Composite: xqueue(spec)}))
		if err != nil || len(rsp.GetResults()) > 0 {
			t.Errorf("%s: refused: %v %v", spec, err, rsp.GetResults())
		}
	}
}

// condition is the condition of type t in rsp, or nil.
func condition(rsp *fnv1.RunFunctionResponse, t string) *fnv1.Condition {
	for _, c := range rsp.GetConditions() {
		if c.GetType() == t {
			return c
		}
	}
	return nil
}

// keys are the names of desired resources, for a message.
func keys(m map[string]*fnv1.Resource) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestServiceBundleQueue: a bundle's queue: {} (the guide's needsQueue)
// composes a nested XQueue bound to the bundle's claim, with the
// Composition its XRD enforces and its secret in the claim's namespace;
// catalog-info.yaml lists it as a Resource the Component depends on; a
// bad queue is refused naming spec.queue.<field>; and a queue that exists
// cannot be dropped from the bundle.
func TestServiceBundleQueue(t *testing.T) {
	f := New(logging.NewNopLogger())
	bundle := func(spec string) *fnv1.Resource { return xr("XServiceBundle", "ServiceBundle", "orders-api", spec) }
	// The repository observed: catalog-info.yaml is composed once it is
	// (servicebundle's composeOnRepository).
	repo := map[string]*fnv1.Resource{"repository": {Resource: mustStructJSON(
		`{"metadata": {"name": "orders-api"}, "status": {"atProvider": {"fullName": "acme/orders-api", "cloneURL": "https://github.com/acme/orders-api.git"}}}`)}}
	rsp, err := run(f, runReq(bundleInput, &fnv1.State{Composite: bundle(`{"description": "Orders API", "template": "node-service", "queue": {"maxReceiveCount": 3}}`), Resources: repo}))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rsp.GetResults() {
		t.Errorf("unexpected result %s: %s", r.GetSeverity(), r.GetMessage())
	}
	q := rsp.GetDesired().GetResources()["queue"].GetResource()
	for path, want := range map[string]any{
		"kind":                                      "XQueue",
		"spec.maxReceiveCount":                      float64(3),
		"spec.compositionRef.name":                  "xqueues.aws.platform.paved.dev",
		"spec.claimRef.kind":                        "ServiceBundle",
		"spec.claimRef.name":                        "orders-api",
		"spec.writeConnectionSecretToRef.name":      "orders-api-queue",
		"spec.writeConnectionSecretToRef.namespace": "orders",
	} {
		if got := pb.Get(q, strings.Split(path, ".")...).AsInterface(); got != want {
			t.Errorf("nested queue %s = %v, want %v", path, got, want)
		}
	}
	file := rsp.GetDesired().GetResources()["catalog-info"].GetResource()
	content, _ := pb.String(file, "spec", "forProvider", "content")
	for _, want := range []string{"- resource:default/orders-api-queue", "kind: Resource", "type: sqs-queue"} {
		if !strings.Contains(content, want) {
			t.Errorf("catalog-info.yaml lacks %q:\n%s", want, content)
		}
	}

	rsp, err = run(f, runReq(bundleInput, &fnv1.State{Composite: bundle(`{"description": "Orders API", "template": "node-service", "queue": {"engine": "rabbitmq"}}`)}))
	if err != nil {
		t.Fatal(err)
	}
	if c := condition(rsp, "QueueReady"); c == nil || !strings.Contains(c.GetMessage(), `spec.queue.engine: invalid value "rabbitmq"`) || len(rsp.GetDesired().GetResources()) != 0 {
		t.Errorf("a bundle asking for rabbitmq: QueueReady %v, %d resources; want refused naming spec.queue.engine", c, len(rsp.GetDesired().GetResources()))
	}

	rsp, err = run(f, runReq(bundleInput, &fnv1.State{Composite: bundle(`{"description": "Orders API", "template": "node-service"}`),
		Resources: map[string]*fnv1.Resource{"queue": {Resource: q}}}))
	if err != nil {
		t.Fatal(err)
	}
	if c := condition(rsp, "RepositoryReady"); c == nil || c.GetReason() != "ChangeRefused" || !strings.Contains(c.GetMessage(), "spec.queue: ") || !strings.Contains(c.GetMessage(), "the service's queue exists") {
		t.Errorf("dropping an existing queue: %v, want ChangeRefused naming spec.queue", c)
	}
}
