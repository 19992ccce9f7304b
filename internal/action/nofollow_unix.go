//go:build unix

package action

import "syscall"

// oNoFollow makes opening a path that is a symbolic link fail (ELOOP) instead of writing where
// the link points: the workspace holds the pull request's files, links included.
const oNoFollow = syscall.O_NOFOLLOW
