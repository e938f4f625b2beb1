package repositoryfile

import (
	"crypto/sha1" //nolint:gosec // git blob ids are SHA-1.
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"

	"github.com/paved-dev/paved/provider/internal/scoped"
)

// Annotations a RepositoryFile's Create records. The managed reconciler
// persists annotations set by Create (UpdateCriticalAnnotations) and
// discards status set there, so what later reconciles must know lives here.
const (
	// AnnotationOwner says this RepositoryFile owns the file at its path:
	// "created" it, or "overwritten" a file that existed, as
	// overwriteOnCreate allowed. Only an owned file is ever changed or
	// deleted.
	AnnotationOwner = "github.paved.dev/file-owner"
	// AnnotationCommit is the SHA of the commit Create made (on the pull
	// request's branch when the branch requires pull requests).
	AnnotationCommit = "github.paved.dev/created-commit"
	// AnnotationBlob is the blob SHA of the content Create committed.
	AnnotationBlob = "github.paved.dev/created-blob"
	// AnnotationOwnedFile is where the owned file is: GitHub's id of the
	// repository and the branch ("<id>:<branch>"; an empty branch follows
	// the repository's default branch). The path is immutable. A
	// RepositoryFile pointed at another repository or branch owns nothing
	// there until it creates (or is allowed to overwrite) the file; the file
	// it owned before is left in place. Repository ids survive renames
	// (https://docs.github.com/en/repositories/creating-and-managing-repositories/renaming-a-repository).
	AnnotationOwnedFile = "github.paved.dev/owned-file"

	ownerCreated     = "created"
	ownerOverwritten = "overwritten"
)

// An ownership is what a RepositoryFile recorded about the file it owns.
type ownership struct {
	owned  bool
	repoID int64  // 0: not recorded (created before it was)
	branch string // as in spec.forProvider.branch; empty: default branch
	known  bool   // repoID and branch were recorded
}

// ownershipOf reads what Create recorded. A RepositoryFile whose create
// succeeded before ownership was recorded (external-create-succeeded, no
// owner annotation) created its file: this provider's Create always
// records the owner together with that annotation.
func ownershipOf(cr scoped.RepositoryFile) ownership {
	a := cr.GetAnnotations()
	if a[AnnotationOwner] == "" {
		return ownership{owned: !meta.GetExternalCreateSucceeded(cr).IsZero()}
	}
	o := ownership{owned: true}
	if id, branch, ok := strings.Cut(a[AnnotationOwnedFile], ":"); ok {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			o.repoID, o.branch, o.known = n, branch, true
		}
	}
	return o
}

// coversBranch reports whether the ownership is of the file on t's branch.
func (o ownership) coversBranch(t target) bool { return o.owned && (!o.known || o.branch == t.branch) }

// coversRepository reports whether the ownership is of a file in the
// repository with id.
func (o ownership) coversRepository(id int64) bool { return o.owned && (!o.known || o.repoID == id) }

func setOwner(cr scoped.RepositoryFile, how string, repoID int64, t target) {
	meta.AddAnnotations(cr, map[string]string{
		AnnotationOwner:     how,
		AnnotationOwnedFile: strconv.FormatInt(repoID, 10) + ":" + t.branch,
	})
}

func setCreated(cr scoped.RepositoryFile, commit, blob string) {
	meta.AddAnnotations(cr, map[string]string{AnnotationCommit: commit, AnnotationBlob: blob})
	cr.Observation().CommitSHA, cr.Observation().BlobSHA = commit, blob
}

// commitOf is the commit that produced blob, as far as this RepositoryFile
// knows: the one Create recorded if it committed this blob, else the one
// the last Update recorded in status (persisted after Update).
func commitOf(cr scoped.RepositoryFile, blob string) string {
	a := cr.GetAnnotations()
	if c := a[AnnotationCommit]; c != "" && a[AnnotationBlob] == blob {
		return c
	}
	return cr.Observation().CommitSHA
}

// createUnconfirmed reports whether a create was attempted and never
// recorded as succeeded: its answer may have been lost after GitHub
// committed. A file found then that holds exactly this RepositoryFile's
// content is taken for that commit. (The file did not exist, or was ours
// to overwrite, when Observe let Create run.)
func createUnconfirmed(cr scoped.RepositoryFile) bool {
	pending := meta.GetExternalCreatePending(cr)
	return !pending.IsZero() && pending.After(meta.GetExternalCreateSucceeded(cr))
}

// observeOnly reports whether the management policies are exactly
// [Observe]: the file is read, never owned, written or deleted.
func observeOnly(cr scoped.RepositoryFile) bool {
	p := cr.GetManagementPolicies()
	return len(p) > 0 && !slices.ContainsFunc(p, func(a xpv2.ManagementAction) bool { return a != xpv2.ManagementActionObserve })
}

// blobSHA is git's id of a blob: SHA-1 over "blob <size>\x00<content>"
// (https://git-scm.com/book/en/v2/Git-Internals-Git-Objects). GitHub's
// contents API reports it as the file's sha.
func blobSHA(content string) string {
	h := sha1.New() //nolint:gosec // git blob ids are SHA-1.
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write([]byte(content))
	return hex.EncodeToString(h.Sum(nil))
}
