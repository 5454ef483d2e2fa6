//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package audit

import "os"

// lockFile is a no-op where flock(2) is missing: one process per log is
// assumed there (the in-process mutex still serialises writers).
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
