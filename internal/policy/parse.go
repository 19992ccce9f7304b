package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxSize is the largest policy file accepted. Policies are a few kilobytes; refusing anything
// bigger before parsing keeps hostile input cheap.
const maxSize = 1 << 20

// maxVisits bounds the work of one validation, so that anchors and aliases cannot expand into
// more than a policy could sensibly hold; maxErrors bounds the report.
const (
	maxVisits = 100_000
	maxErrors = 1000
)

// Load reads and parses the policy file at path. Problems in the file are returned as Errors;
// a file that cannot be read gives an error wrapping the underlying *fs.PathError.
func Load(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return Parse(path, src)
}

// Parse parses and validates the policy in src; path is used in messages only. When anything is
// wrong it returns a nil policy and Errors holding every problem found.
func Parse(path string, src []byte) (*Policy, error) {
	c := &checker{path: path}
	if len(src) > maxSize {
		c.errs = append(c.errs, &Error{Path: path, Message: fmt.Sprintf("policy is larger than %d bytes (1 MiB); refusing to parse it", maxSize)})
		return nil, c.errs
	}
	root := c.document(src)
	var p *Policy
	if root != nil {
		p = c.policy(root)
	}
	if len(c.errs) > 0 {
		return nil, c.errs.sorted()
	}
	return p, nil
}

// yamlLineRE picks the line out of yaml.v3's syntax errors ("yaml: line 3: did not find ...").
var yamlLineRE = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

// document parses src as exactly one YAML document and returns its top-level node, or nil after
// recording why there is none.
func (c *checker) document(src []byte) (root *yaml.Node) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := decode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			c.errs = append(c.errs, &Error{Path: c.path, Message: "policy is empty"})
		} else {
			c.yamlError(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := decode(dec, &next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		c.yamlError(err)
		return nil
	default:
		c.errorf(&next, "policy must be a single YAML document; found another one")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		c.errs = append(c.errs, &Error{Path: c.path, Message: "policy is empty"})
		return nil
	}
	root = doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		c.errs = append(c.errs, &Error{Path: c.path, Message: "policy is empty"})
		return nil
	}
	return root
}

// decode runs dec.Decode, turning a panic inside the YAML parser into an error: no input may
// crash the caller.
func decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: internal parser error: %v", r)
		}
	}()
	return dec.Decode(n)
}

func (c *checker) yamlError(err error) {
	e := &Error{Path: c.path, Message: "invalid YAML: " + err.Error()}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Message = "invalid YAML: " + m[2]
	} else if msg, ok := strings.CutPrefix(err.Error(), "yaml: "); ok {
		e.Message = "invalid YAML: " + msg
	}
	c.errs = append(c.errs, e)
}
