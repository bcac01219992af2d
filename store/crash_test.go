package store_test

import "testing"

func crashChild(m *testing.M) bool { return false }
