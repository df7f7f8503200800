package suites

// ParseWhole and ParseApart expose the two parses of a fixture to the
// external tests, which compare them.
var (
	ParseWhole = parseWhole
	ParseApart = parseApart
	ApartMin   = apartMin
)
