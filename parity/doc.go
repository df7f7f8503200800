// Package parity proves plugincheck's verdicts are GOST's: it runs GOST's own
// plugin clients (github.com/go-gost/x) and plugincheck's mockclient against
// one recording plugin server and compares what they send and conclude.
//
// It is a separate module so that the plugincheck binary never links GOST.
package parity

import (
	_ "github.com/go-gost/x/config/parsing/auth"
)
