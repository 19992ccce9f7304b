package policy

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// bucketFields are the fields of a buckets entry.
var bucketFields = []string{"name", "region", "encryption", "kms_key", "transcoder_principal", "bucket_key", "enforce_on_upload", "require_tls", "existing_objects", "prefixes", "cloudfront_distributions", "engine", "batch_operations", "account", "readers", "accept_lost_readers"}

// buckets checks the buckets list.
func (c *checker) buckets(f field, tr trust, keys map[string]*Key) []Bucket {
	items, ok := c.entries(f, "buckets must be a list of buckets (- name: NAME ...)")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		c.errorf(f.at, "buckets is empty; list the buckets to keep encrypted")
		return nil
	}
	out := make([]Bucket, 0, len(items))
	lines := map[string]int{}
	for _, item := range items {
		if c.aborted {
			break
		}
		b, nameAt := c.bucket(item, tr, keys)
		if b.Name != "" {
			if line, dup := lines[b.Name]; dup {
				c.errorf(nameAt, "bucket %q is listed twice (first at line %d)", b.Name, line)
				continue
			}
			lines[b.Name] = b.Pos.Line
		}
		out = append(out, b)
	}
	return out
}

// bucket checks one buckets entry, and its fields against each other; it answers the node to
// point at when the name is listed twice.
func (c *checker) bucket(item *yaml.Node, tr trust, keys map[string]*Key) (Bucket, *yaml.Node) {
	b := Bucket{ExistingObjects: ObjectsIgnore, Pos: Pos{Line: item.Line, Column: item.Column}}
	fs, ok := c.mapping(item, "bucket", bucketFields)
	if !ok {
		return b, item
	}
	nameAt := item
	if f, ok := fs["name"]; !ok {
		c.errorf(item, "bucket has no name")
	} else if s, good := c.str(f, "name"); good {
		nameAt = f.at
		if p := bucketNameProblem(s); p != "" {
			c.errorf(f.at, "%s", p)
		}
		b.Name = s
	}
	label := "bucket"
	if b.Name != "" {
		label = fmt.Sprintf("bucket %q", b.Name)
	}
	// Everything else about the bucket is judged in its account: its key, the principals.
	b.Account, tr = c.entryAccount(fs, tr, label)
	bucketKeySet := c.bucketValues(item, fs, &b, label)
	if f, ok := fs["cloudfront_distributions"]; ok {
		b.CloudFrontDistributions = c.distributions(f, tr)
	}
	c.engine(fs, &b, label, tr.home)
	c.readerFields(fs, &b, tr)
	c.encryptionFields(item, fs, &b, label, bucketKeySet)
	if b.KMSKey != "" {
		c.kmsKey(fs["kms_key"], b, label, tr.home, keys)
	}
	if b.TranscoderPrincipal != "" {
		c.transcoder(fs["transcoder_principal"], b, tr)
	}
	return b, nameAt
}

// bucketValues reads the entry's own values, each checked alone: region, encryption, kms_key,
// transcoder_principal, bucket_key, enforce_on_upload, require_tls, existing_objects, prefixes.
// It reports whether bucket_key was given a valid value.
func (c *checker) bucketValues(item *yaml.Node, fs map[string]field, b *Bucket, label string) (bucketKeySet bool) {
	if f, ok := fs["region"]; ok {
		b.Region, _ = c.region(f, "region")
	}
	if f, ok := fs["encryption"]; !ok {
		c.errorf(item, "%s has no encryption; add encryption: sse-s3 or encryption: sse-kms", label)
	} else if s, good := c.str(f, "encryption"); good {
		switch e := Encryption(s); e {
		case SSES3, SSEKMS:
			b.Encryption = e
		default:
			c.errorf(f.at, "encryption %q must be sse-s3 or sse-kms", s)
		}
	}
	if f, ok := fs["kms_key"]; ok {
		if s, good := c.str(f, "kms_key"); good {
			b.KMSKey = s
		}
	}
	if f, ok := fs["transcoder_principal"]; ok {
		if s, good := c.str(f, "transcoder_principal"); good {
			b.TranscoderPrincipal = s
		}
	}
	if f, ok := fs["bucket_key"]; ok {
		b.BucketKey, bucketKeySet = c.boolean(f, "bucket_key")
	}
	if f, ok := fs["enforce_on_upload"]; ok {
		b.EnforceOnUpload, _ = c.boolean(f, "enforce_on_upload")
	}
	if f, ok := fs["require_tls"]; ok {
		b.RequireTLS, _ = c.boolean(f, "require_tls")
	}
	if f, ok := fs["existing_objects"]; ok {
		if s, good := c.str(f, "existing_objects"); good {
			switch o := ExistingObjects(s); o {
			case ObjectsIgnore, ObjectsReport, ObjectsReencrypt:
				b.ExistingObjects = o
			default:
				c.errorf(f.at, "existing_objects %q must be ignore, report or reencrypt", s)
			}
		}
	}
	if f, ok := fs["prefixes"]; ok {
		b.Prefixes, _, _ = c.strList(f, "prefixes")
	}
	return bucketKeySet
}

// encryptionFields checks the fields that only one encryption takes: sse-s3 takes no key, no
// transcoder, no bucket key, no CloudFront distributions and no readers (they are dropped);
// sse-kms needs a kms_key and has bucket_key on unless the entry says otherwise.
func (c *checker) encryptionFields(item *yaml.Node, fs map[string]field, b *Bucket, label string, bucketKeySet bool) {
	kmsF, hasKMS := fs["kms_key"]
	switch b.Encryption {
	case SSES3:
		if hasKMS {
			c.errorf(kmsF.key, "%s uses sse-s3, which takes no kms_key; use encryption: sse-kms for a KMS key", label)
		}
		if f, ok := fs["transcoder_principal"]; ok {
			c.errorf(f.key, "%s uses sse-s3, which takes no transcoder_principal: nobody needs a key grant", label)
		}
		if bucketKeySet && b.BucketKey {
			c.errorf(fs["bucket_key"].key, "%s uses sse-s3; bucket_key applies to sse-kms only", label)
		}
		if f, ok := fs["cloudfront_distributions"]; ok {
			c.errorf(f.key, "%s uses sse-s3, which takes no cloudfront_distributions: CloudFront reads SSE-S3 objects without a key grant", label)
			b.CloudFrontDistributions = nil
		}
		for _, name := range []string{"readers", "accept_lost_readers"} {
			if f, ok := fs[name]; ok {
				c.errorf(f.key, "%s uses sse-s3, which takes no %s: S3 decrypts SSE-S3 objects for every reader, so nobody can lose access", label, name)
			}
		}
		b.Readers, b.AcceptLostReaders = nil, nil
		b.BucketKey = false
	case SSEKMS:
		if !hasKMS {
			c.errorf(item, "%s uses sse-kms but has no kms_key; name the key with kms_key: alias/NAME", label)
		}
		if _, ok := fs["bucket_key"]; !ok {
			b.BucketKey = true
		}
	}
}

// transcoder checks the transcoder_principal (f): a principal ARN the entry's accounts trust.
func (c *checker) transcoder(f field, b Bucket, tr trust) {
	acct, p := parsePrincipal("transcoder_principal", b.TranscoderPrincipal, false)
	switch {
	case p != "":
		c.errorf(f.at, "%s", p)
	default:
		if why := tr.outside("transcoder_principal", b.TranscoderPrincipal, acct); why != "" {
			c.errorf(f.at, "%s", why)
		}
	}
}

// kmsKey checks a bucket's kms_key against the account and the regions of bucket and key.
func (c *checker) kmsKey(f field, b Bucket, label, account string, keys map[string]*Key) {
	ref, p := parseKMSKey(b.KMSKey)
	if p != "" {
		c.errorf(f.at, "%s", p)
		return
	}
	if ref.Account != "" && account != "" && ref.Account != account {
		c.errorf(f.at, "kms_key %q is in account %s, but the policy's account is %s", b.KMSKey, ref.Account, account)
	}
	if ref.Region != "" && b.Region != "" && ref.Region != b.Region {
		c.errorf(f.at, "kms_key %q is in region %s, but %s is in %s; S3 can only use a KMS key from the bucket's own region", b.KMSKey, ref.Region, label, b.Region)
	}
	// An alias names the key of that alias in the bucket's own account.
	k, ok := keys[keyID(b.Account, ref.Alias)]
	if ref.Alias == "" || !ok || k.Region == "" {
		return
	}
	if ref.Region != "" && ref.Region != k.Region {
		c.errorf(f.at, "kms_key %q is in region %s, but keys pins %s to %s (line %d)", b.KMSKey, ref.Region, k.Alias, k.Region, k.Pos.Line)
	} else if ref.Region == "" && b.Region != "" && b.Region != k.Region {
		c.errorf(f.at, "kms_key %s is pinned to region %s (line %d), but %s is in %s; S3 can only use a KMS key from the bucket's own region", b.KMSKey, k.Region, k.Pos.Line, label, b.Region)
	}
}
