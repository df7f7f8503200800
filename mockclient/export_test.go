package mockclient

// LeanActive reports whether c's Prepared HTTP calls go over its lean
// pool: it has one, and no reply has yet sent them back to net/http.
func LeanActive(c *Client) bool { return c.lean != nil && !c.leanOff.Load() }
