package repositoryfile

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	gh "github.com/google/go-github/v85/github"

	ghclient "github.com/paved-dev/paved/provider/internal/clients/github"
	"github.com/paved-dev/paved/provider/internal/scoped"
)

// Protected branches.
//
// A branch protection rule that requires pull requests (or status checks)
// refuses direct commits: "collaborators can only push changes to a
// protected branch via a pull request"
// (https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-protected-branches/about-protected-branches#require-pull-request-reviews-before-merging).
// Administrators bypass it unless the rule sets enforce_admins ("Do not
// allow bypassing the above settings", same page). The contents API then
// answers 409 "... Changes must be made through a pull request."
// (https://docs.github.com/en/rest/repos/contents#create-or-update-file-contents
// lists 409 Conflict).
//
// The provider does not weaken the rule (no bypass allowance for its own
// identity: whoever can edit a RepositoryFile in the cluster would push
// unreviewed to every protected branch). It proposes the change instead:
// the branch paved/<name> is created from the protected branch's head
// (https://docs.github.com/en/rest/git/refs#create-a-reference), the
// content is committed there and a pull request is opened
// (https://docs.github.com/en/rest/pulls/pulls#create-a-pull-request).
// status.atProvider.pullRequestURL names it and Ready is False with reason
// PullRequestOpen until a reviewer merges it. A pull request closed without
// merging is a refusal: Synced=False until the content changes.

const reasonPullRequestOpen xpv2.ConditionReason = "PullRequestOpen"

// A proposal is the newest pull request from a RepositoryFile's branch.
type proposal struct {
	number int
	url    string
	base   string
	open   bool
	merged bool
	file   *file  // the file on the pull request's branch; nil if absent
	commit string // the commit propose made, if it made one
}

// proposalBranch is the branch a RepositoryFile proposes changes from.
func proposalBranch(cr scoped.RepositoryFile) string { return "paved/" + cr.GetName() }

// isProtected reports whether GitHub refused a content write because the
// branch's protection requires pull requests (409 with GitHub's
// protected-branch message), as opposed to a stale blob SHA (409 "does
// not match").
func isProtected(err error) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusConflict {
		return false
	}
	m := strings.ToLower(er.Message)
	return strings.Contains(er.DocumentationURL, "protected-branches") ||
		strings.Contains(m, "through a pull request") || strings.Contains(m, "protected branch")
}

// refExists reports GitHub's 422 "Reference already exists".
func refExists(err error) bool {
	var er *gh.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnprocessableEntity &&
		strings.Contains(er.Message, "already exists")
}

func pendingReview(p *proposal) xpv2.Condition {
	return xpv2.Condition{
		Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: reasonPullRequestOpen, LastTransitionTime: metav1.Now(),
		Message: fmt.Sprintf("branch %s requires pull requests: waiting for a reviewer to merge %s", p.base, p.url),
	}
}

func (e *external) baseBranch(ctx context.Context, t target) (string, error) {
	if t.branch != "" {
		return t.branch, nil
	}
	r, err := e.repository(ctx, t)
	if err != nil {
		return "", err
	}
	return r.GetDefaultBranch(), nil
}

// findProposal returns the newest pull request from the RepositoryFile's
// branch into its target branch, with the file on that branch, or nil.
func (e *external) findProposal(ctx context.Context, cr scoped.RepositoryFile, t target) (*proposal, error) {
	base, err := e.baseBranch(ctx, t)
	if err != nil {
		return nil, err
	}
	head := proposalBranch(cr)
	prs, err := e.gh.ListPullRequests(ctx, t.owner, t.repo, head, base)
	if err != nil {
		return nil, wrap(err, errListPulls)
	}
	if len(prs) == 0 {
		return nil, nil
	}
	pr := prs[0]
	p := &proposal{number: pr.GetNumber(), url: pr.GetHTMLURL(), base: base, open: pr.GetState() == "open", merged: pr.MergedAt != nil}
	if p.merged {
		return p, nil
	}
	if p.file, err = e.read(ctx, t, head); err != nil {
		return nil, err
	}
	return p, nil
}

// propose commits the desired state of the file (its content, or its
// absence while the RepositoryFile is deleted) to the RepositoryFile's
// branch and makes sure a pull request into the target branch is open.
// Every step is idempotent: a retry after a lost answer reuses the branch,
// the commit and the pull request.
//
// A branch that no open pull request proposes from is left over from an
// earlier proposal (merged, or closed by a reviewer) and may be behind the
// target branch or hold commits of its own: it is reset to the target
// branch's head before it is used again
// (https://docs.github.com/en/rest/git/refs#update-a-reference, force),
// so that the new pull request proposes this change and nothing else. Its
// earlier commits stay reachable from their pull request
// (refs/pull/<number>/head). The branch of an open pull request is
// committed to as it is: that pull request is the proposal a reviewer sees.
func (e *external) propose(ctx context.Context, cr scoped.RepositoryFile, t target) (*proposal, error) {
	base, err := e.baseBranch(ctx, t)
	if err != nil {
		return nil, err
	}
	head := proposalBranch(cr)
	prs, err := e.gh.ListPullRequests(ctx, t.owner, t.repo, head, base)
	if err != nil {
		return nil, wrap(err, errListPulls)
	}
	open := len(prs) > 0 && prs[0].GetState() == "open"
	cur, err := e.gh.GetBranchHead(ctx, t.owner, t.repo, head)
	switch {
	case ghclient.IsNotFound(err):
		sha, err := e.gh.GetBranchHead(ctx, t.owner, t.repo, base)
		if err != nil {
			return nil, wrap(err, errHead)
		}
		if err := e.gh.CreateBranch(ctx, t.owner, t.repo, head, sha); err != nil && !refExists(err) {
			return nil, wrap(err, errBranch)
		}
	case err != nil:
		return nil, wrap(err, errHead)
	case !open:
		sha, err := e.gh.GetBranchHead(ctx, t.owner, t.repo, base)
		if err != nil {
			return nil, wrap(err, errHead)
		}
		if sha != cur {
			if err := e.gh.ResetBranch(ctx, t.owner, t.repo, head, sha); err != nil {
				return nil, wrap(err, errResetBranch)
			}
		}
	}
	f, err := e.read(ctx, t, head)
	if err != nil {
		return nil, err
	}
	p := &proposal{base: base, file: f}
	title := message(cr)
	var want *string
	if !meta.WasDeleted(cr) {
		want = &cr.Parameters().Content
	} else {
		title = "Remove " + t.path
	}
	if !matches(f, want) {
		var rsp *gh.RepositoryContentResponse
		if want == nil {
			rsp, err = e.gh.DeleteFile(ctx, t.owner, t.repo, t.path, &gh.RepositoryContentFileOptions{
				Message: gh.Ptr(title), SHA: gh.Ptr(f.sha), Branch: gh.Ptr(head),
			})
		} else {
			rsp, err = e.write(ctx, cr, t, head, f)
		}
		if err != nil {
			return nil, wrap(err, errCommit)
		}
		p.commit = commitSHA(rsp)
	}
	if open {
		p.number, p.url, p.open = prs[0].GetNumber(), prs[0].GetHTMLURL(), true
		return p, nil
	}
	pr, err := e.gh.CreatePullRequest(ctx, t.owner, t.repo, &gh.NewPullRequest{
		Title: gh.Ptr(title), Head: gh.Ptr(head), Base: gh.Ptr(base),
		Body: gh.Ptr(fmt.Sprintf("Proposed by the paved provider for RepositoryFile %s: branch %s is protected and requires pull requests, "+
			"so %s cannot be committed to it directly. Merge this pull request to apply the change; closing it refuses the change.", cr.GetName(), base, t.path)),
	})
	if err != nil {
		return nil, wrap(err, errCreatePull)
	}
	p.number, p.url, p.open = pr.GetNumber(), pr.GetHTMLURL(), true
	return p, nil
}
