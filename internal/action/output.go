package action

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/sseguard/sseguard/internal/report"
	"github.com/sseguard/sseguard/internal/sanitize"
)

// output is everything the action writes for people. Plain lines go through the sanitizer, so
// that nothing from AWS or the policy file can act as a workflow command; with
// redact-account-id, account ids are replaced first (in the log, the job summary and the
// annotations alike).
//
// Commands the action means to issue (annotations, add-mask, group, stop-commands) are built by
// go-githubactions v1.4.0, which escapes '%', '\r' and '\n' in a command's data and, in its
// properties, ':' and ',' too (command.go, escapeData and escapeProperty): a value can neither
// end the command's line nor its properties, so it cannot start another command. Their titles
// and messages go through the sanitizer all the same, so that they carry no control character
// and no "##[" into the log line the runner writes for them.
type output struct {
	a   *githubactions.Action
	red *sanitize.Redactor
	// shown is what the job summary of the plan holds, once written; jsonShown is the JSON plan's
	// path as the plan-json output gives it. The pull request comment's footer says both.
	shown     *report.Shown
	jsonShown string
}

func newOutput(a *githubactions.Action) *output {
	return &output{a: a, red: sanitize.NewRedactor(false)}
}

// line is s redacted and made safe as one line.
func (o *output) line(s string) string { return sanitize.Line(o.red.String(s)) }

// info writes text, one line or several, as plain log lines.
func (o *output) info(text string) { o.a.Infof("%s", sanitize.Text(o.red.String(text))) }

// logError writes an error annotation that belongs to no line of the policy file.
func (o *output) logError(msg string) { o.a.Errorf("%s", o.line(msg)) }

// logWarning writes a warning annotation that belongs to no line of the policy file.
func (o *output) logWarning(msg string) { o.a.Warningf("%s", o.line(msg)) }

// learnAccount tells the redactor of the account id, and masks it in the runner's log (from this
// step on, other steps' output included) the first time it is seen. Nothing happens unless
// redact-account-id is on.
func (o *output) learnAccount(id string) {
	if o.red.Enabled() && o.red.AddAccount(id) {
		o.a.AddMask(id)
	}
}

// annotate emits one annotation as a workflow command.
func (o *output) annotate(an report.Annotation) {
	fields := map[string]string{"title": o.line(an.Title)}
	if an.File != "" {
		// Left as it is: it must match the file's path in the repository for GitHub to place the
		// annotation, and go-githubactions escapes it as a property.
		fields["file"] = an.File
	}
	if an.Line > 0 {
		fields["line"] = strconv.Itoa(an.Line)
		if an.Column > 0 {
			fields["col"] = strconv.Itoa(an.Column)
		}
	}
	msg := o.line(an.Message)
	switch an.Level {
	case report.LevelError:
		o.a.WithFieldsMap(fields).Errorf("%s", msg)
	case report.LevelWarning:
		o.a.WithFieldsMap(fields).Warningf("%s", msg)
	default:
		o.a.WithFieldsMap(fields).Noticef("%s", msg)
	}
}

// uncommanded writes text that holds values from AWS and the policy as plain lines, with
// workflow commands turned off around them as well: a second guard should the runner ever read
// commands some other way. The token that turns them back on is derived from the text itself:
// text cannot contain the hash of itself.
func (o *output) uncommanded(text string) {
	safe := sanitize.Text(o.red.String(text))
	sum := sha256.Sum256([]byte(safe))
	token := "sseguard-" + hex.EncodeToString(sum[:16])
	o.a.IssueCommand(&githubactions.Command{Name: "stop-commands", Message: token})
	o.a.Infof("%s", safe)
	o.a.IssueCommand(&githubactions.Command{Name: token})
}

// summary appends markdown to the job summary, redacted, and says whether it was written.
func (o *output) summary(md string) bool { return setSummary(o, o.red.String(md)) }

// progress returns the writer for the pipeline's progress lines: each line redacted, made safe,
// and written as a plain log line. The caller flushes it.
func (o *output) progress() *sanitize.Writer {
	return sanitize.NewWriter(infoWriter{o.a}, o.red.String)
}

// infoWriter writes the lines a sanitize.Writer gives it (one whole line per call) to the log.
type infoWriter struct{ a *githubactions.Action }

func (w infoWriter) Write(p []byte) (int, error) {
	w.a.Infof("%s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
