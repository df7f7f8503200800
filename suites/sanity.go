package suites

import (
	"strings"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// noteSeverity says what a GOST note means for a plugin that replied: a
// correct plugin never causes a failing note; a warning marks legal but
// dangerous behaviour. Notes not listed are information only.
var noteSeverity = map[string]report.Status{
	// Module sanity: IPs parse, router dst is a CIDR, a hop node is
	// usable, an ingress endpoint is a tunnel UUID, observer and recorder
	// answer ok, and nothing crashes GOST.
	mockclient.NoteDroppedIP:    report.Fail,
	mockclient.NoteBadRoute:     report.Fail,
	mockclient.NoteHopEmptyNode: report.Fail,
	mockclient.NoteHopUnusable:  report.Fail,
	mockclient.NoteBadEndpoint:  report.Fail,
	mockclient.NoteNotDelivered: report.Fail,
	mockclient.NoteGOSTPanics:   report.Fail,
	// The service is served without GOST's method: every call fails.
	mockclient.NoteUnimplementedMethod:  report.Fail,
	mockclient.NoteUnimplementedService: report.Fail,
	// Legal but dangerous.
	mockclient.NoteUnlimited:    report.Warn,
	mockclient.NoteHopDirect:    report.Warn,
	mockclient.NoteReplyIgnored: report.Warn,
	mockclient.NoteHopFileRef:   report.Warn,
	// GOST drops the keys, crawls at the limit, or hands the token over.
	mockclient.NoteReplyKeysIgnored: report.Warn,
	mockclient.NoteLimiterFloor:     report.Warn,
	mockclient.NoteTokenCrossHost:   report.Warn,
}

// sanityCheck turns the notes of a call that got a reply into the sanity
// check. It reports false when no note matters. Notes of failed calls are
// consequences of the failure, which the reply check already reports.
func sanityCheck(op mockclient.Operation, t mockclient.Transport, out *mockclient.Outcome) (report.Check, bool) {
	if !out.OK() && out.Failure != mockclient.FailureDecode && !noNodeReply(op, t, out) {
		return report.Check{}, false
	}
	ch := report.Check{Name: CheckSanity, Status: report.Pass}
	var msgs []string
	for _, n := range out.Notes {
		sev, ok := noteSeverity[n.Code]
		if !ok {
			continue
		}
		ch.Status = ch.Status.Worse(sev)
		msgs = append(msgs, n.Text)
	}
	if len(msgs) == 0 {
		return report.Check{}, false
	}
	ch.Message = strings.Join(msgs, "; ")
	return ch, true
}
