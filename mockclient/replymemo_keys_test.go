package mockclient

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoKeysRemembersRecentReplies: the cases in flight answer in turn,
// each with its own reply; every one of the last keysMemoSize distinct
// replies is found again without a new scan (same shared keys, no
// allocation), and a reply older than that is scanned again.
func TestMemoKeysRemembersRecentReplies(t *testing.T) {
	var memo keysMemos
	reply := func(i int) []byte { return fmt.Appendf(nil, `{"ok":true,"id":"user-%d","extra%d":1}`, i, i) }
	first := make([][]string, keysMemoSize+1)
	for i := range first {
		keys, ok := memoKeys(&memo, reply(i))
		require.True(t, ok)
		require.Equal(t, []string{"ok", "id", fmt.Sprintf("extra%d", i)}, keys)
		first[i] = keys
	}
	tests := []struct {
		name   string
		i      int
		shared bool
	}{
		{"newest", keysMemoSize, true},
		{"second oldest kept", 2, true},
		{"oldest kept", 1, true},
		{"evicted", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, ok := memoKeys(&memo, reply(tt.i))
			require.True(t, ok)
			assert.Equal(t, first[tt.i], keys)
			assert.Equal(t, tt.shared, unsafe.SliceData(keys) == unsafe.SliceData(first[tt.i]), "remembered, not scanned again")
		})
	}
	r := reply(keysMemoSize)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = memoKeys(&memo, r) }))
}

// TestMemoKeysNotJSON: a reply that is not a JSON object has no keys, the
// first time and when remembered.
func TestMemoKeysNotJSON(t *testing.T) {
	var memo keysMemos
	for range 2 {
		keys, ok := memoKeys(&memo, []byte("not json"))
		assert.False(t, ok)
		assert.Empty(t, keys)
	}
}
