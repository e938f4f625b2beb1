package env

import "regexp"

// A partition is a group of AWS regions with its own ARN prefix.
type partition struct {
	id      string
	regions *regexp.Regexp
}

// partitions are AWS's partitions and the regions each holds, as the AWS
// SDKs resolve them: the "regionRegex" of every partition in
// https://github.com/aws/aws-sdk-go-v2/blob/v1.41.7/internal/endpoints/awsrulesfn/partitions.json
// (see also https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html,
// "partition").
var partitions = []partition{
	{"aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-[0-9]+$`)},
	{"aws-cn", regexp.MustCompile(`^cn-[a-z]+-[0-9]+$`)},
	{"aws-us-gov", regexp.MustCompile(`^us-gov-[a-z]+-[0-9]+$`)},
	{"aws-iso", regexp.MustCompile(`^us-iso-[a-z]+-[0-9]+$`)},
	{"aws-iso-b", regexp.MustCompile(`^us-isob-[a-z]+-[0-9]+$`)},
	{"aws-iso-e", regexp.MustCompile(`^eu-isoe-[a-z]+-[0-9]+$`)},
	{"aws-iso-f", regexp.MustCompile(`^us-isof-[a-z]+-[0-9]+$`)},
	{"aws-eusc", regexp.MustCompile(`^eusc-de-[a-z]+-[0-9]+$`)},
}

// Partition returns the AWS partition of a region ("aws", "aws-cn",
// "aws-us-gov", "aws-iso", ...), and false for a string that is no region
// of a known partition. Every ARN paved writes or accepts for a region
// starts with "arn:<partition>:".
func Partition(region string) (string, bool) {
	for _, p := range partitions {
		if p.regions.MatchString(region) {
			return p.id, true
		}
	}
	return "", false
}
