package repository

import (
	gh "github.com/google/go-github/v85/github"

	"github.com/paved-dev/paved/provider/apis/github/v1alpha1"
)

// The Branch controller protects any branch as the Repository controller
// protects the default branch: one comparison and one request body, here.

// ProtectionMatches reports whether GitHub's protection p (nil: the branch
// is unprotected) has the settings bp manages; settings bp does not name
// are not compared.
func ProtectionMatches(bp v1alpha1.BranchProtection, p *gh.Protection) bool {
	return protectionMatches(bp, p)
}

// ProtectionRequest is the body of
// PUT /repos/{owner}/{repo}/branches/{branch}/protection that sets what bp
// manages and keeps every other setting of cur (nil: unprotected) as
// GitHub reported it.
func ProtectionRequest(bp v1alpha1.BranchProtection, cur *gh.Protection) *gh.ProtectionRequest {
	return protectionRequest(bp, cur)
}
