package load

// Redact applies red, the caller's redaction of a secret (clip.Redact with
// the token, say), to r's texts: target, mix baselines, label maps, failure
// texts, gate causes and notes. Labels quote what the system under test
// sent, which may echo a secret it was given. A nil red changes nothing.
func (r *Result) Redact(red func(string) string) {
	if red == nil {
		return
	}
	r.Target = red(r.Target)
	for i := range r.Mix {
		r.Mix[i].ID = red(r.Mix[i].ID)
		r.Mix[i].Baseline = red(r.Mix[i].Baseline)
	}
	r.Counts.redact(red)
	for i := range r.Gates {
		r.Gates[i].Cause = red(r.Gates[i].Cause)
	}
	for i := range r.Notes {
		r.Notes[i] = red(r.Notes[i])
	}
}

// redact applies red to every label and text of c, adding up the counts
// of labels that become the same.
func (c *Counts) redact(red func(string) string) {
	c.ErrorsBy = redactKeys(c.ErrorsBy, red)
	c.FailuresBy = redactKeys(c.FailuresBy, red)
	c.Verdicts = redactKeys(c.Verdicts, red)
	if c.FailureTexts != nil {
		texts := make(map[string]string, len(c.FailureTexts))
		for k, v := range c.FailureTexts {
			if _, ok := texts[red(k)]; !ok {
				texts[red(k)] = red(v)
			}
		}
		c.FailureTexts = texts
	}
	for i := range c.Cases {
		c.Cases[i].ChangedTo = redactKeys(c.Cases[i].ChangedTo, red)
	}
}

func redactKeys(m map[string]int64, red func(string) string) map[string]int64 {
	if m == nil {
		return nil
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[red(k)] += v
	}
	return out
}
