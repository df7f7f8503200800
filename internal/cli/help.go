package cli

import "strings"

// article is "an" before a word that starts with a vowel sound (admission,
// auth, ingress, observer), else "a"; module names are lower-case ASCII.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
