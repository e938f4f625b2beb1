package discover

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// Error codes AWS answers when the identity may not call an action: EC2's
// UnauthorizedOperation
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html),
// KMS's AccessDeniedException
// (https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html)
// and the Query APIs' AccessDenied (STS).
var denied = map[string]bool{
	"UnauthorizedOperation": true,
	"AccessDenied":          true,
	"AccessDeniedException": true,
}

// Error codes AWS answers when it does not accept the credentials
// themselves (EC2 AuthFailure, STS InvalidClientTokenId and ExpiredToken,
// KMS UnrecognizedClientException, and the common errors of every service:
// https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
var rejected = map[string]bool{
	"AuthFailure":                 true,
	"InvalidClientTokenId":        true,
	"UnrecognizedClientException": true,
	"ExpiredToken":                true,
	"ExpiredTokenException":       true,
	"SignatureDoesNotMatch":       true,
	"IncompleteSignature":         true,
}

// explain turns an AWS API error into what to fix: the IAM action that was
// denied, or that the credentials were refused. Other errors keep their
// message. The chain is kept.
func explain(err error, caller string) error {
	var oe *smithy.OperationError
	var ae smithy.APIError
	if !errors.As(err, &oe) || !errors.As(err, &ae) {
		return err
	}
	// An action is the service's IAM prefix and the operation's name; for
	// EC2, KMS and STS the prefix is the service id in lower case
	// (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
	action := strings.ToLower(oe.ServiceID) + ":" + oe.OperationName
	who := "the identity"
	if caller != "" {
		who = caller
	}
	switch {
	case denied[ae.ErrorCode()]:
		return fmt.Errorf("AWS denied %s to %s: allow the IAM action %s (paved environment discover calls only the read-only actions %s): %w",
			action, who, action, strings.Join(ReadActions, ", "), err)
	case rejected[ae.ErrorCode()]:
		return fmt.Errorf("AWS refused the credentials on %s (%s): check the profile (--profile, AWS_PROFILE) or the credentials in the environment: %w",
			action, ae.ErrorCode(), err)
	}
	return err
}
