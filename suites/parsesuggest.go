package suites

import (
	"fmt"
	"strings"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/mockclient"
)

// Suggest returns the candidate closest to word by edit distance, or ""
// when none is close enough (at most a third of word's length, and at least
// 1). It is for "did you mean" hints on fixture fields and module names.
// Hand-written rather than imported: cobra's Levenshtein is unexported, and
// a dozen lines do not justify a dependency.
func Suggest(word string, candidates []string) string {
	best, bestD := "", -1
	limit := max(1, len(word)/3)
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := editDistance(lw, strings.ToLower(c))
		if strings.HasPrefix(strings.ToLower(c), lw) && len(lw) >= 2 {
			d = min(d, 1)
		}
		if d <= limit && (bestD < 0 || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// didYouMean is Suggest as a message suffix: ` (did you mean "x"?)` or "".
func didYouMean(word string, candidates []string) string {
	if s := Suggest(word, candidates); s != "" && s != word {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// ParseModule is mockclient.ParseModule with a "did you mean" hint, for
// every place a user names a module (fixtures, commands, flags).
func ParseModule(name string) (mockclient.Module, error) {
	m, err := mockclient.ParseModule(name)
	if err != nil {
		names := make([]string, 0, len(mockclient.Modules()))
		for _, m := range mockclient.Modules() {
			names = append(names, string(m))
		}
		if s := Suggest(name, names); s != "" {
			return m, fmt.Errorf("%w %q: did you mean %q? (want one of %s)", mockclient.ErrUnknownModule, clip.Text(name, 100), s, strings.Join(names, ", "))
		}
	}
	return m, err
}

// editDistance is the Levenshtein distance of a and b, in bytes (field
// and module names are ASCII), with one row of memory.
func editDistance(a, b string) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cur := row[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(b)]
}
