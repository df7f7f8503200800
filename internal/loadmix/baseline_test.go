package loadmix

import (
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/plugincheck/plugincheck/mockclient"
)

// TestBaselineSameAsDeepEqual pins the fast verdict comparison to
// reflect.DeepEqual, for plain verdicts and for those it must leave to it.
func TestBaselineSameAsDeepEqual(t *testing.T) {
	type withSlice struct{ IPs []string }
	type withIface struct{ V any }
	nan := math.NaN()
	tests := []struct {
		name  string
		base  any
		other any
		plain bool
	}{
		{"auth equal", mockclient.AuthVerdict{OK: true, ID: "u"}, mockclient.AuthVerdict{OK: true, ID: "u"}, true},
		{"auth differs", mockclient.AuthVerdict{OK: true, ID: "u"}, mockclient.AuthVerdict{OK: true, ID: "v"}, true},
		{"other type", mockclient.AuthVerdict{}, mockclient.BypassVerdict{}, true},
		{"nil reply", mockclient.AuthVerdict{}, nil, true},
		{"nan", nan, nan, true},
		{"bool", true, true, true},
		{"slice field", withSlice{IPs: []string{"a"}}, withSlice{IPs: []string{"a"}}, false},
		{"uncomparable interface field", withIface{V: []int{1}}, withIface{V: []int{1}}, false},
		{"pointer", &struct{}{}, &struct{}{}, false},
		{"nil baseline", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := baseline{set: true, verdict: tt.base, plain: mockclient.PlainType(reflect.TypeOf(tt.base))}
			assert.Equal(t, tt.plain, b.plain)
			assert.Equal(t, reflect.DeepEqual(tt.other, tt.base), b.same(tt.other))
			assert.Equal(t, reflect.DeepEqual(tt.base, tt.base), b.same(tt.base))
		})
	}
}
