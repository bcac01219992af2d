//go:build !unix

package console

import "io/fs"

// allocated is the file's length where block counts are not known.
func allocated(fi fs.FileInfo) int64 { return fi.Size() }
