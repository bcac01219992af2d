//go:build unix

package console

import (
	"io/fs"
	"syscall"
)

// allocated is the disk space a file takes: badger preallocates its value
// log sparsely, so its length says little.
func allocated(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return fi.Size()
}
