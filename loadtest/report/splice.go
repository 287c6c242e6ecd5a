package report

import "strings"

// Splice returns page with the text between the markers begin and end
// replaced by section, keeping everything around them. A page without the
// markers gets them, with section, at its end after a blank line.
func Splice(page, begin, end, section string) string {
	if section != "" && !strings.HasSuffix(section, "\n") {
		section += "\n"
	}
	block := begin + "\n" + section + end + "\n"
	before, rest, found := strings.Cut(page, begin)
	_, after, hasEnd := strings.Cut(rest, end)
	switch {
	case found && hasEnd:
		return before + block + strings.TrimPrefix(after, "\n")
	case strings.TrimSpace(page) == "":
		return block
	default:
		return strings.TrimRight(page, "\n") + "\n\n" + block
	}
}
