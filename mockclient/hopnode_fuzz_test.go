package mockclient

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxHopFileRefs is the most file references one node can carry: cert,
// key and CA files on both the connector and dialer side, the ss auth file,
// and one dialer file (kcp config or ssh private key).
const maxHopFileRefs = 8

// FuzzHopNode decodes a node as GOST's hop plugin client does and runs the
// node parser mirror on it. The parser must decide exactly one way (a node
// or a reason), pick only registered connector and dialer types, keep the
// node's own name, addr and network, and decide the same way twice.
func FuzzHopNode(f *testing.F) {
	for _, c := range hopNodeCases {
		f.Add([]byte(c.node))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg hopNodeConfig
		if err := json.NewDecoder(bytes.NewReader(data)).Decode(&cfg); err != nil {
			return
		}
		p := parseHopNode(&cfg)
		again := parseHopNode(&cfg)
		assert.Equal(t, p, again, "parseHopNode decides differently on the same node")
		assert.LessOrEqual(t, len(p.fileRefs), maxHopFileRefs)
		if p.node == nil {
			require.NotEmpty(t, p.unusable, "no node and no reason")
			return
		}
		require.Empty(t, p.unusable, "a node and a reason")
		assert.True(t, slices.Contains(hopConnectorTypes, p.node.Connector), "unregistered connector %q", p.node.Connector)
		assert.True(t, slices.Contains(hopDialerTypes, p.node.Dialer), "unregistered dialer %q", p.node.Dialer)
		assert.Equal(t, cfg.Name, p.node.Name)
		assert.Equal(t, cfg.Addr, p.node.Addr)
		assert.Equal(t, cfg.Network, p.node.Network)
		if cfg.Connector != nil && cfg.Connector.Type != "" {
			assert.Equal(t, cfg.Connector.Type, p.node.Connector)
		}
		if cfg.Dialer != nil && cfg.Dialer.Type != "" {
			assert.Equal(t, cfg.Dialer.Type, p.node.Dialer)
		}
	})
}

// FuzzSSCipher checks the shadowsocks cipher mirror on its own, since the
// node fuzzer rarely reaches a 2022 cipher with a base64 key: it never
// panics, and the "none" ciphers and AEAD ciphers accept any password.
func FuzzSSCipher(f *testing.F) {
	f.Add("aes-128-gcm", "p")
	f.Add("NONE", "")
	f.Add("2022-blake3-aes-256-gcm", "AAECAwQFBgcICQoLDA0ODw==:AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8=")
	f.Add("2022-blake3-aes-128-gcm", "AAECAw==")
	f.Add("2022-blake3-aes-128-gcm", "::")
	f.Add("rc4-md5", "p")
	f.Fuzz(func(t *testing.T, method, password string) {
		got := checkSSCipher(method, password)
		switch lower := string(bytes.ToLower([]byte(method))); lower {
		case "none", "dummy", "chacha20-ietf-poly1305", "aes-256-gcm", "aes-128-gcm":
			assert.Empty(t, got, "checkSSCipher(%q, %q)", method, password)
		case "2022-blake3-aes-128-gcm", "2022-blake3-aes-256-gcm":
		default:
			assert.NotEmpty(t, got, "checkSSCipher(%q, %q)", method, password)
		}
	})
}
