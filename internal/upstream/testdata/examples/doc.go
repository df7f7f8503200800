// Package examples only anchors the module that builds the go-gost/plugin
// example servers; see internal/upstream.
package examples

import (
	_ "github.com/go-gost/plugin/admission/proto"
	_ "github.com/go-gost/x/config"
)
