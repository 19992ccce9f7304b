//go:build !unix

package action

// oNoFollow is 0 where the platform has no O_NOFOLLOW; writeJSON still refuses a link it sees
// with Lstat. The action runs in a Linux container.
const oNoFollow = 0
