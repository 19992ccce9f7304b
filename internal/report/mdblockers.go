package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
)

// shout puts keys that make data unreadable in a caution box above everything else.
func (r *mdRenderer) shout(b *strings.Builder) {
	var lines []string
	for _, bl := range r.p.Blockers {
		var what string
		switch bl.Code {
		case plan.BlockKeyPendingDelete:
			what = "is pending deletion: objects encrypted under it become unreadable for good once it is deleted."
		case plan.BlockKeyDisabled:
			what = "is disabled: objects encrypted under it cannot be read until it is enabled again."
		default:
			continue
		}
		subject := "A key"
		if bl.Alias != "" {
			subject = "Key " + mdText(bl.Alias)
		}
		where := ""
		if bl.Bucket != "" {
			where = " (bucket " + mdText(bl.Bucket) + ")"
		}
		lines = append(lines, fmt.Sprintf("> **%s%s %s** %s", subject, where, what, mdText(bl.Message)))
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("> [!CAUTION]\n")
	b.WriteString(strings.Join(lines, "\n>\n"))
	b.WriteString("\n\n")
}

// shoutByKey is shout for the levels with one line per bucket: one line per key pending
// deletion or disabled, with how many buckets it stops (each is in the blockers below).
func (r *mdRenderer) shoutByKey(b *strings.Builder) {
	// A key is known by its alias, else by the blocker's message (which names its ARN).
	type keyState struct{ code, alias, message string }
	var order []keyState
	buckets := map[keyState]int{}
	for _, bl := range r.p.Blockers {
		if bl.Code != plan.BlockKeyPendingDelete && bl.Code != plan.BlockKeyDisabled {
			continue
		}
		k := keyState{code: bl.Code, alias: bl.Alias}
		if k.alias == "" {
			k.message = bl.Message
		}
		if _, ok := buckets[k]; !ok {
			order = append(order, k)
			buckets[k] = 0
		}
		if bl.Bucket != "" {
			buckets[k]++
		}
	}
	if len(order) == 0 {
		return
	}
	var lines []string
	for _, k := range order {
		subject := "A key"
		if k.alias != "" {
			subject = "Key " + mdText(k.alias)
		}
		what := "is disabled: objects encrypted under it cannot be read until it is enabled again."
		if k.code == plan.BlockKeyPendingDelete {
			what = "is pending deletion: objects encrypted under it become unreadable for good once it is deleted."
		}
		detail := ""
		if k.message != "" {
			detail = " " + mdText(k.message) + "."
		}
		lines = append(lines, fmt.Sprintf("> **%s %s**%s It stops %s (see the blockers below).", subject, what, detail, Plural(buckets[k], "bucket", "buckets")))
	}
	b.WriteString("> [!CAUTION]\n")
	b.WriteString(strings.Join(lines, "\n>\n"))
	b.WriteString("\n\n")
}

// blockerRows is the blockers table: code, bucket, key, policy line and what is wrong.
func (r *mdRenderer) blockerRows() *mdRows {
	if l, ok := r.cached(rowsBlockers); ok {
		return l
	}
	var rows []string
	for _, bl := range r.p.Blockers {
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s |\n", mdText(bl.Code), mdOr(bl.Bucket), mdOr(bl.Alias), mdLine(bl.Line), mdText(bl.Message)))
	}
	return r.rows(rowsBlockers, "#### ⛔ Blockers: nothing is changed for these\n\n| blocker | bucket | key | line | what is wrong |\n|---|---|---|---|---|\n",
		rows, r.moreRow(rowsBlockers, 5), "\n")
}

// blockersOf are the blockers of one bucket.
func (r *mdRenderer) blockersOf(bucket string) []plan.Blocker {
	if r.byBucket == nil {
		r.byBucket = map[string][]plan.Blocker{}
		for _, bl := range r.p.Blockers {
			if bl.Bucket != "" {
				r.byBucket[bl.Bucket] = append(r.byBucket[bl.Bucket], bl)
			}
		}
	}
	return r.byBucket[bucket]
}
