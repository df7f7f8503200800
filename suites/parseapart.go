package suites

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"sync"

	"go.yaml.in/yaml/v3"
)

// A large fixture parses its cases a chunk at a time. yaml.v3 holds a whole
// document as nodes, about 24 bytes for each byte of YAML (a 1.5 MB fixture
// of 10,000 cases made a 35 MiB tree), while a parsed case is a small part
// of that. parseApart cuts the top-level `cases:` list of a plain block
// layout into chunks of apartChunk cases, each parsed as a document of its
// own whose nodes are then moved to their lines in the file. Anything
// it cannot vouch for (anchors and aliases, tabs, flow or unusual top-level
// layout, a parse error, an item that is not where the cut said) makes it
// give up, and the file is parsed whole, with the whole parse's errors.

// apartMin is the smallest fixture parsed in chunks: smaller ones cost
// little as one tree.
const apartMin = 256 << 10

// apartChunk is how many cases one chunk holds.
const apartChunk = 256

// topKey is a top-level key line of a block mapping.
var topKey = regexp.MustCompile(`^[a-z_]+:(\s|$)`)

// parseApart parses data with its cases in chunks; ok is false when it
// gave up and the caller must parse data whole.
func parseApart(file string, data []byte) (s *Suite, ok bool) {
	if len(data) < apartMin || bytes.ContainsAny(data, "&*\t\r%") {
		return nil, false
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	start, end, items, ok := casesBlock(lines)
	if !ok {
		return nil, false
	}
	// The head: every line but the cases' own, which become empty lines.
	head := make([]byte, 0, len(data)/16)
	for i, l := range lines {
		if i >= start && i < end {
			head = append(head, '\n')
			continue
		}
		head = append(head, l...)
	}
	p := &parser{file: file, casesApart: true}
	root, ok := oneDocument(head)
	if !ok {
		return nil, false
	}
	s, err := p.suite(root)
	if err != nil {
		return nil, false
	}
	// The chunks' YAML is parsed apartAhead chunks ahead, on goroutines of
	// its own, while the cases of the chunks before are decoded in order:
	// the YAML parse was most of a large fixture's parse, which a run
	// waits for, and the other core was idle meanwhile.
	chunks := (len(items) + apartChunk - 1) / apartChunk
	parsed := make([]chan *yaml.Node, chunks)
	var wg sync.WaitGroup
	defer wg.Wait() // on giving up too: a chunk parse ends by itself
	begin := func(c int) {
		ch := make(chan *yaml.Node, 1)
		parsed[c] = ch
		wg.Go(func() { ch <- parseChunk(lines, items, end, c*apartChunk) })
	}
	for c := range min(apartAhead, chunks) {
		begin(c)
	}
	seen := map[string]int{}
	for c := range chunks {
		root := <-parsed[c]
		parsed[c] = nil
		if c+apartAhead < chunks {
			begin(c + apartAhead)
		}
		if root == nil || p.addCases(s, root.Content, c*apartChunk, seen) != nil {
			return nil, false
		}
	}
	return s, true
}

// apartAhead is how many chunks are parsed ahead of the one whose cases
// are decoded; each holds the node tree of apartChunk cases.
const apartAhead = 2

// parseChunk parses the cases items[first:first+apartChunk], whose lines
// end before the next item or at end, and returns the list's node with
// its nodes moved to their lines in the file; nil when the chunk is not
// the list of those items it should be.
func parseChunk(lines [][]byte, items []int, end, first int) *yaml.Node {
	chunk := items[first:min(first+apartChunk, len(items))]
	last := end
	if first+apartChunk < len(items) {
		last = items[first+apartChunk]
	}
	var doc []byte
	for _, l := range lines[chunk[0]:last] {
		doc = append(doc, l...)
	}
	root, ok := oneDocument(doc)
	if !ok || root.Kind != yaml.SequenceNode || len(root.Content) != len(chunk) {
		return nil
	}
	shiftLines(root, chunk[0])
	for k, n := range root.Content {
		if n.Line != chunk[k]+1 {
			return nil
		}
	}
	return root
}

// casesBlock finds the top-level `cases:` block list in lines: its lines
// are [start, end), and items holds the index of each item's first line.
// ok is false when the layout is not the plain one parseApart vouches for.
func casesBlock(lines [][]byte) (start, end int, items []int, ok bool) {
	key := -1
	seenContent := false
	for i, l := range lines {
		t := bytes.TrimRight(l, " \n")
		switch {
		case len(t) == 0 || t[0] == ' ' || t[0] == '#':
		case bytes.Equal(t, []byte("---")) && !seenContent:
		case bytes.Equal(t, []byte("cases:")) && key < 0:
			key = i
		case topKey.Match(t) && key >= 0 && start == 0:
			return 0, 0, nil, false // a key before the list's first item
		case topKey.Match(t):
			if key >= 0 && end == 0 {
				end = i
			}
		case t[0] == '-' && key >= 0 && end == 0:
			// a list item at column 0 is read below
		default:
			return 0, 0, nil, false
		}
		if len(t) > 0 && t[0] != '#' {
			seenContent = true
		}
		if key >= 0 && i > key && start == 0 && len(t) > 0 {
			trimmed := bytes.TrimLeft(t, " ")
			if trimmed[0] == '#' {
				continue
			}
			if trimmed[0] != '-' || (len(trimmed) > 1 && trimmed[1] != ' ') {
				return 0, 0, nil, false
			}
			start = i
		}
	}
	if key < 0 || start == 0 {
		return 0, 0, nil, false
	}
	if end == 0 {
		end = len(lines)
	}
	indent := len(lines[start]) - len(bytes.TrimLeft(lines[start], " "))
	for i := start; i < end; i++ {
		l := bytes.TrimRight(lines[i], " \n")
		t := bytes.TrimLeft(l, " ")
		n := len(l) - len(t)
		switch {
		case len(t) == 0 || t[0] == '#' || n > indent:
		case n == indent && t[0] == '-' && (len(t) == 1 || t[1] == ' '):
			items = append(items, i)
		default:
			return 0, 0, nil, false
		}
	}
	return key + 1, end, items, len(items) > 0 && items[0] == start
}

// shiftLines moves every node under n by by lines.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}

// oneDocument parses data as one YAML document and returns its root.
func oneDocument(data []byte) (*yaml.Node, bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, false
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, false
	}
	return doc.Content[0], true
}
