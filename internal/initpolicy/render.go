package initpolicy

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/sanitize"
)

// SchemaURL is where editors find the policy's JSON Schema (docs/policy.schema.json in sseguard's
// repository), named in the file's first line for the YAML language server. It is an absolute URL:
// the file lives in the user's repository, where a relative path would name nothing.
const SchemaURL = "https://raw.githubusercontent.com/sseguard/sseguard/main/docs/policy.schema.json"

// commentWidth is where comment paragraphs wrap.
const commentWidth = 96

var header = []string{
	"yaml-language-server: $schema=" + SchemaURL,
	"sseguard policy written by `sseguard init` from the account as it is: applied, it changes nothing",
	"(`sseguard plan --detailed-exitcode` exits 0). Comments mark what is worth a decision. Buckets",
	"sseguard would change or refuse as they are come last, commented out, each with the reason.",
	"enforce_on_upload and require_tls are set where the bucket policy already enforces them;",
	"existing_objects is left at its default (ignore): init reads no objects.",
}

// render writes the policy file.
func (bd *builder) render() ([]byte, error) {
	root := mapping()
	root.Content = append(root.Content, key("version"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"})
	if bd.o.WriteAccount {
		acct := quoted(bd.s.Account)
		acct.LineComment = "refuse to touch any other account"
		root.Content = append(root.Content, key("account"), acct)
	}
	region := key("region")
	if !bd.o.WriteAccount {
		region.HeadComment = comment(`Add account: "<the 12-digit account id>" to make sseguard refuse to touch any other account (sseguard init --account-id-from-caller writes it).`)
	}
	root.Content = append(root.Content, region, str(bd.s.Region))

	if used := bd.usedKeys(); len(used) > 0 {
		keys := &yaml.Node{Kind: yaml.SequenceNode}
		for _, ke := range used {
			keys.Content = append(keys.Content, keyNode(ke))
		}
		root.Content = append(root.Content, key("keys"), keys)
	}

	buckets := &yaml.Node{Kind: yaml.SequenceNode}
	var left []*entry
	for _, e := range bd.entries {
		if !e.adopted {
			left = append(left, e)
			continue
		}
		n := bucketNode(e.b)
		n.HeadComment = comment(e.notes...)
		if len(e.principalNotes) > 0 {
			at := "transcoder_principal"
			if e.b.TranscoderPrincipal == "" {
				at = "bucket_key"
			}
			if k := field(n, at); k != nil {
				k.HeadComment = comment(e.principalNotes...)
			}
		}
		buckets.Content = append(buckets.Content, n)
	}
	if len(buckets.Content) == 0 {
		buckets.Style = yaml.FlowStyle
	}
	root.Content = append(root.Content, key("buckets"), buckets)
	if len(left) > 0 {
		foot, err := notAdopted(left)
		if err != nil {
			return nil, err
		}
		root.FootComment = foot
	}

	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}, HeadComment: marked(slices.Clone(header))}
	out, err := encode(doc)
	if err != nil {
		return nil, err
	}
	// The CLI prints through the sanitizer; what it would escape is escaped here already, in a
	// form YAML reads back as the same value (a Cf character in a double-quoted scalar becomes the
	// \uNNNN escape of itself), so that printing changes nothing. readBack checks the values.
	return []byte(sanitize.Text(string(out))), nil
}

func encode(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("write the policy as YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write the policy as YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// notAdopted is the closing comment: each bucket not adopted, why, and its entry to decide on.
func notAdopted(left []*entry) (string, error) {
	lines := []string{strings.Repeat("-", commentWidth),
		"Not adopted as they are: sseguard would change or refuse these buckets. Decide for each; to adopt",
		"one, move its entry (when given) into buckets above, and `sseguard plan` shows what it would do.",
	}
	for _, e := range left {
		lines = append(lines, "#")
		label := e.b.Name
		if e.b.Region != "" {
			label += " (" + e.b.Region + ")"
		}
		lines = append(lines, wrap(label+": "+strings.Join(e.why, " "))...)
		for _, n := range append(append([]string(nil), e.notes...), e.principalNotes...) {
			lines = append(lines, wrap(n)...)
		}
		if !e.show {
			continue
		}
		out, err := encode(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{bucketNode(e.b)}})
		if err != nil {
			return "", err
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
			lines = append(lines, "  "+sanitize.Line(l))
		}
	}
	return marked(lines), nil
}

// marked starts each comment line with "# " itself (a bare "#" stays as it is): the encoder adds
// the marker only to lines that do not start with '#', so a line read from AWS that does would
// lose the space.
func marked(lines []string) string {
	for i, l := range lines {
		if l != "#" {
			lines[i] = "# " + l
		}
	}
	return strings.Join(lines, "\n")
}

// keyNode is one entry of keys.
func keyNode(ke *keyEntry) *yaml.Node {
	n := mapping()
	alias := str(ke.alias)
	if len(ke.keys) == 1 {
		alias.LineComment = sanitize.Line(ke.keys[0].ARN)
	}
	n.Content = append(n.Content, key("alias"), alias)
	if d := ke.description(); d != "" {
		n.Content = append(n.Content, key("description"), quoted(d))
	}
	rot := key("rotation")
	var why []string
	for _, k := range ke.keys {
		switch r := k.NotRotatable(); {
		case r != "":
			why = append(why, fmt.Sprintf("KMS cannot rotate %s automatically: %s.", k.ARN, r))
		case k.Rotation != nil && !*k.Rotation:
			why = append(why, fmt.Sprintf("Automatic rotation of %s is off. rotation: true makes sseguard turn it on (KMS then rotates the key material every year; a change).", k.ARN))
		}
	}
	rot.HeadComment = comment(why...)
	n.Content = append(n.Content, rot, boolean(ke.rotation()))
	n.HeadComment = comment(ke.notes...)
	return n
}

// bucketNode is one entry of buckets, fields in the order the example policy uses.
func bucketNode(b policy.Bucket) *yaml.Node {
	n := mapping()
	n.Content = append(n.Content, key("name"), str(b.Name))
	if b.Region != "" {
		n.Content = append(n.Content, key("region"), str(b.Region))
	}
	n.Content = append(n.Content, key("encryption"), str(string(b.Encryption)))
	if b.KMSKey != "" {
		n.Content = append(n.Content, key("kms_key"), str(b.KMSKey))
	}
	if b.TranscoderPrincipal != "" {
		n.Content = append(n.Content, key("transcoder_principal"), str(b.TranscoderPrincipal))
	}
	if b.Encryption == policy.SSEKMS {
		n.Content = append(n.Content, key("bucket_key"), boolean(b.BucketKey))
	}
	if b.EnforceOnUpload {
		n.Content = append(n.Content, key("enforce_on_upload"), boolean(true))
	}
	if b.RequireTLS {
		n.Content = append(n.Content, key("require_tls"), boolean(true))
	}
	if len(b.CloudFrontDistributions) > 0 {
		list := &yaml.Node{Kind: yaml.SequenceNode}
		for _, d := range b.CloudFrontDistributions {
			list.Content = append(list.Content, str(d))
		}
		n.Content = append(n.Content, key("cloudfront_distributions"), list)
	}
	return n
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

// key is a mapping key: one of the policy's field names.
func key(name string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name} }

// str is a string value: tagged !!str, so the encoder quotes anything YAML would read as another
// type (true, 1e3, null) or that holds YAML syntax.
func str(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

// quoted is a string value always double-quoted: free text read from AWS (a key description), in
// the one style where every character YAML could misread is escaped.
func quoted(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: yaml.DoubleQuotedStyle}
}

func boolean(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v)}
}

// field returns the key node of name in mapping n.
func field(n *yaml.Node, name string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == name {
			return n.Content[i]
		}
	}
	return nil
}

// comment turns paragraphs into comment text: each made one safe line by sanitize.Line (so
// nothing read from AWS can end the comment and start YAML), then wrapped.
func comment(paragraphs ...string) string {
	var lines []string
	for _, p := range paragraphs {
		lines = append(lines, wrap(p)...)
	}
	return marked(lines)
}

// wrap makes p one sanitized line and wraps it at commentWidth; a paragraph that starts with
// spaces (a list item) is kept as it is.
func wrap(p string) []string {
	p = sanitize.Line(p)
	if strings.HasPrefix(p, " ") || len(p) <= commentWidth {
		return []string{p}
	}
	var lines []string
	line := ""
	for _, w := range strings.Fields(p) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) > commentWidth:
			lines = append(lines, line)
			line = w
		default:
			line += " " + w
		}
	}
	return append(lines, line)
}
