package report

import (
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/sanitize"
)

// Readers and replication: who reads each SSE-KMS bucket's objects and whether they can decrypt
// with its key under the plan, and each replication rule with what it lacks to replicate SSE-KMS
// objects. The same data in the log and the job summary (and so the pull request comment) as in
// the JSON plan (package jsonplan).

// readerVerdictText words a reader's verdict for people.
func readerVerdictText(r plan.Reader) string {
	switch r.Verdict {
	case plan.ReaderCanDecrypt:
		if r.Listed {
			return "can use the key (listed under readers)"
		}
		return "can use the key"
	case plan.ReaderLossAccepted:
		return "loses access (accepted under accept_lost_readers): " + r.Reason
	}
	return "CANNOT use the key: " + r.Reason
}

// readerSource says where a reader was found: its bucket policy statements, or the policy file.
func readerSource(r plan.Reader) string {
	if len(r.Statements) == 0 {
		return "policy file"
	}
	return "bucket policy " + strings.Join(r.Statements, ", ")
}

// ruleText describes a replication rule in one line, without what it lacks.
func ruleText(r plan.ReplicationRule) string {
	name := fmt.Sprintf("%q", r.ID)
	if r.Priority != 0 {
		name += fmt.Sprintf(" (priority %d)", r.Priority)
	}
	parts := []string{r.Status}
	if r.Filter != "" {
		parts = append(parts, r.Filter)
	}
	optIn := "SSE-KMS objects: not replicated"
	if r.SSEKMSObjects {
		optIn = "SSE-KMS objects: replicated"
	}
	key := "replica key: not set"
	if r.ReplicaKey != "" {
		key = "replica key: " + r.ReplicaKey
	}
	s := fmt.Sprintf("rule %s → %s (%s); %s; %s", name, r.Destination, strings.Join(parts, ", "), optIn, key)
	if r.WantReplicaKey != "" {
		s += "; the policy file wants replicas under " + r.WantReplicaKey
	}
	return s
}

// textReaders writes the readers and replication section of the log.
func textReaders(tw *errWriter, p *plan.Plan) {
	var readers, repl []plan.BucketStatus
	for _, b := range p.Buckets {
		if len(b.Readers) > 0 {
			readers = append(readers, b)
		}
		if b.Replication != nil {
			repl = append(repl, b)
		}
	}
	if len(readers) > 0 {
		tw.printf("Readers (who reads each bucket's objects, and whether they can use its key after the plan):\n")
		for _, b := range readers {
			for _, r := range b.Readers {
				tw.printf("  %s: %s (%s, %s, needs %s): %s\n", sanitize.Line(b.Name), sanitize.Line(r.Principal), sanitize.Line(r.Kind),
					sanitize.Line(readerSource(r)), sanitize.Line(strings.Join(r.Needs, ", ")), sanitize.Line(readerVerdictText(r)))
			}
		}
		tw.printf("\n")
	}
	if len(repl) > 0 {
		tw.printf("Replication:\n")
		for _, b := range repl {
			tw.printf("  %s: replicates as %s\n", sanitize.Line(b.Name), sanitize.Line(b.Replication.Role))
			for _, r := range b.Replication.Rules {
				tw.printf("    %s\n", sanitize.Line(ruleText(r)))
				for _, l := range r.Lacks {
					tw.printf("      lacks %s\n", sanitize.Line(l))
				}
			}
		}
		tw.printf("\n")
	}
}

// mdReaders writes the "Readers and replication" section of the job summary (kept in the pull
// request comment: it is what a reviewer must see before a bucket's key changes).
func (r *mdRenderer) readers(b *strings.Builder) {
	var readers, repl []plan.BucketStatus
	for _, bs := range r.p.Buckets {
		if len(bs.Readers) > 0 {
			readers = append(readers, bs)
		}
		if bs.Replication != nil {
			repl = append(repl, bs)
		}
	}
	if len(readers) == 0 && len(repl) == 0 {
		return
	}
	b.WriteString("#### Readers and replication\n\n")
	if len(readers) > 0 {
		b.WriteString("| bucket | reader | kind | granted by | needs | after the plan |\n|---|---|---|---|---|---|\n")
		for _, bs := range readers {
			for _, rd := range bs.Readers {
				verdict := mdText(readerVerdictText(rd))
				switch rd.Verdict {
				case plan.ReaderCanDecrypt:
					verdict = "✅ " + verdict
				case plan.ReaderCannotDecrypt:
					verdict = "⛔ " + verdict
				default:
					verdict = "⚠️ " + verdict
				}
				fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", mdText(bs.Name), mdText(rd.Principal), mdText(rd.Kind),
					mdText(readerSource(rd)), mdText(strings.Join(rd.Needs, ", ")), verdict)
			}
		}
		b.WriteString("\n")
	}
	if len(repl) > 0 {
		b.WriteString("| bucket | replication rule | lacks |\n|---|---|---|\n")
		for _, bs := range repl {
			for _, rule := range bs.Replication.Rules {
				lacks := "✅ nothing"
				if len(rule.Lacks) > 0 {
					var items []string
					for _, l := range rule.Lacks {
						items = append(items, mdText(l))
					}
					lacks = "⛔ " + strings.Join(items, "<br>")
				}
				fmt.Fprintf(b, "| %s | %s, as %s | %s |\n", mdText(bs.Name), mdText(ruleText(rule)), mdText(bs.Replication.Role), lacks)
			}
		}
		b.WriteString("\n")
	}
}
