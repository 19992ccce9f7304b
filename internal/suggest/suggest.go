// Package suggest finds the name a person probably meant when they typed one that does not exist:
// a command, a flag or a policy field. It answers "did you mean" only when one name is clearly
// closest, so a suggestion is never a guess between two.
package suggest

import "strings"

// Closest returns the candidate nearest to typed, and whether it is near enough to suggest: an
// edit distance (insertions, deletions, substitutions and swaps of adjacent letters, ignoring
// case) of at most half the longer name, at least 1 and at most 3, and less than typed's own length, or typed being a prefix
// of exactly one candidate that is at least three letters long. A tie between two candidates at
// the same distance suggests nothing.
func Closest(typed string, candidates []string) (string, bool) {
	t := strings.ToLower(typed)
	if t == "" {
		return "", false
	}
	best, bestDist, tie := "", -1, false
	for _, c := range candidates {
		d := distance(t, strings.ToLower(c))
		if d > limit(t, c) || d >= len(t) {
			continue
		}
		switch {
		case bestDist < 0 || d < bestDist:
			best, bestDist, tie = c, d, false
		case d == bestDist && c != best:
			tie = true
		}
	}
	if bestDist >= 0 && !tie {
		return best, true
	}
	if len(t) < 3 {
		return "", false
	}
	var prefixed []string
	for _, c := range candidates {
		if strings.HasPrefix(strings.ToLower(c), t) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0], true
	}
	return "", false
}

// limit is the largest distance worth suggesting between a and b.
func limit(a, b string) int {
	n := max(len(a), len(b)) / 2
	return min(max(n, 1), 3)
}

// distance is the optimal string alignment distance between a and b (Damerau–Levenshtein without
// repeated edits of one substring), over bytes: names here are ASCII.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
