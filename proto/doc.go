// Package proto holds the wire and storage schema (*.proto). The generated Go
// lives in proto/pb and is committed; `make proto` regenerates it.
package proto
