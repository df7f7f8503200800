package suites

// SkippedBy reports the first --skip pattern that removes id from a run
// that --run selects. The runner keeps such a case as skipped with the
// pattern as its reason, so reports list it (as csi-sanity lists its
// skipped tests) instead of letting it vanish; a case --run does not
// select is not part of the run at all and is not listed.
func (f Filter) SkippedBy(id string) (pattern string, ok bool) {
	if len(f.Run) > 0 && !matchAny(f.Run, id) {
		return "", false
	}
	for _, p := range f.Skip {
		if matchID(p, id) {
			return p, true
		}
	}
	return "", false
}
