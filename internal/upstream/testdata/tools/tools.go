//go:build tools

// Package tools pins the tools built by internal/upstream.BuildTool.
package tools

import (
	_ "github.com/fullstorydev/grpcurl/cmd/grpcurl"
)
