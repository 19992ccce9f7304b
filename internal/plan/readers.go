package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

// BlockReaderCannotDecrypt: a principal the bucket policy lets read the bucket's objects could
// read them before and could not after the plan (the bucket moves to a key, or the key's policy
// changes), because the key policy would not let it decrypt. Listing it under readers (the key
// policy then grants it) or under accept_lost_readers lifts it.
const BlockReaderCannotDecrypt = "reader-cannot-decrypt"

// ReaderVerdict is what becomes of a reader's access under the plan.
type ReaderVerdict string

// The verdicts of a reader.
const (
	// ReaderCanDecrypt: the key policy the plan leaves lets the reader use the key.
	ReaderCanDecrypt ReaderVerdict = "can-decrypt"
	// ReaderCannotDecrypt: it does not (a blocker when the reader could before).
	ReaderCannotDecrypt ReaderVerdict = "cannot-decrypt"
	// ReaderLossAccepted: it does not, and the bucket lists the reader under accept_lost_readers.
	ReaderLossAccepted ReaderVerdict = "loss-accepted"
)

// Reader is a principal that reads (or, for an AWS service, writes) a bucket's objects, found in
// its bucket policy or listed under readers, and what the plan does to its access.
type Reader struct {
	// Principal names the reader as the bucket policy does (an account as its root ARN), or as
	// the policy file lists it.
	Principal string
	// Kind is account, principal, public, service, origin-access-identity, access-point or other.
	Kind string
	// Statements are the bucket policy statements that grant it (Sid, or "statement #n"); empty
	// for a reader the policy file lists that the bucket policy does not name.
	Statements []string
	// Needs are the key actions it needs: kms:Decrypt to read, kms:GenerateDataKey to write.
	Needs   []string
	Verdict ReaderVerdict
	// Listed says the policy file lists it under readers: the key policy grants it decrypt.
	Listed bool
	// Reason says why it cannot use the key ("" when it can).
	Reason string
}

// readers finds the bucket's readers and judges each against the key policy the plan leaves the
// key with. A reader who could read before and could not after blocks the bucket, unless the
// policy file accepts the loss. Only a bucket that moves to its key is judged here: a bucket
// already on it is judged with the key's policy change (readersKept), once for every bucket of
// the key.
func (bc *bucketPlan) readers(w wantKey) []Reader {
	if w.policy == nil {
		return nil
	}
	keyARN := w.arn
	if keyARN == "" {
		// A key this plan creates: its ARN is unknown, and its policy names no key.
		keyARN = fmt.Sprintf("arn:%s:kms:%s:%s:key/sseguard-new-key", bc.c.partition(), bc.region, bc.c.st.Account)
	}
	found := bc.c.bucketReaders(bc.observed)
	var out []Reader
	for _, r := range found {
		after := r.KeyUse(w.policy, keyARN, bc.c.bucketARN(bc.b.Name), bc.b.BucketKey)
		pr := bc.reader(r, after)
		out = append(out, pr)
		if pr.Verdict != ReaderCannotDecrypt || !bc.switching {
			continue
		}
		bc.block(BlockReaderCannotDecrypt, "%s", readerLoss(bc.b, r, after.Why, bc.c.grantable(r)))
	}
	for _, p := range bc.b.Readers {
		if slices.ContainsFunc(out, func(r Reader) bool { return r.Principal == p }) {
			continue
		}
		out = append(out, Reader{Principal: p, Kind: string(kindOf(p)), Needs: iampolicy.ReaderActions, Verdict: ReaderCanDecrypt, Listed: true})
	}
	slices.SortFunc(out, func(a, b Reader) int { return strings.Compare(a.Principal, b.Principal) })
	return out
}

// reader is a found reader as the plan shows it.
func (bc *bucketPlan) reader(r iampolicy.Reader, v iampolicy.ReaderVerdict) Reader {
	pr := Reader{Principal: r.Principal, Kind: string(r.Kind), Needs: r.KeyActions(), Verdict: ReaderCanDecrypt,
		Listed: slices.Contains(bc.b.Readers, r.Principal)}
	for _, s := range r.Statements {
		pr.Statements = append(pr.Statements, statementName(s))
	}
	switch {
	case v.OK:
	case accepted(bc.b, r.Principal):
		pr.Verdict, pr.Reason = ReaderLossAccepted, v.Why
	default:
		pr.Verdict, pr.Reason = ReaderCannotDecrypt, v.Why
	}
	return pr
}

// kindOf is the kind of a reader the policy file lists (a role, user or account root ARN).
func kindOf(principal string) iampolicy.ReaderKind {
	if strings.HasSuffix(principal, ":root") {
		return iampolicy.ReaderAccount
	}
	return iampolicy.ReaderPrincipal
}

// accepted reports whether the bucket lists the reader under accept_lost_readers, by the name the
// bucket policy gives it, or by the id of its account (which accepts the loss of every principal
// of that account).
func accepted(b policy.Bucket, principal string) bool {
	for _, a := range b.AcceptLostReaders {
		if a == principal {
			return true
		}
		if iampolicy.PrincipalInAccounts(principal, []string{a}) {
			return true
		}
	}
	return false
}

// bucketARN is a bucket's ARN in the account's partition.
func (c *computer) bucketARN(name string) string {
	return "arn:" + c.partition() + ":s3:::" + name
}

// partition is the account's partition (aws when the state does not say).
func (c *computer) partition() string {
	if c.st.Partition == "" {
		return iampolicy.DefaultPartition
	}
	return c.st.Partition
}

// bucketReaders lists the readers a bucket's observed policy grants, outside the home account
// (nil when it has none, or one that cannot be read: the bucket policy step says why).
func (c *computer) bucketReaders(ob *state.Bucket) []iampolicy.Reader {
	if ob == nil || ob.Policy == "" {
		return nil
	}
	doc, err := iampolicy.Parse(ob.Policy)
	if err != nil {
		return nil
	}
	return iampolicy.BucketReaders(doc, c.bucketARN(ob.Name), c.st.Account)
}

// grantable says whether listing the reader under readers would let it decrypt: a role, user or
// account of the home or a trusted account.
func (c *computer) grantable(r iampolicy.Reader) bool {
	if r.Kind != iampolicy.ReaderPrincipal && r.Kind != iampolicy.ReaderAccount {
		return false
	}
	acct := iampolicy.AccountOf(r.Principal)
	return acct == c.st.Account || slices.Contains(c.pol.TrustedAccounts, acct)
}

// readerLoss words a reader-cannot-decrypt blocker: who, by which statement, why, and how to
// lift it.
func readerLoss(b policy.Bucket, r iampolicy.Reader, why string, grantable bool) string {
	var refs []string
	for _, s := range r.Statements {
		refs = append(refs, statementName(s))
	}
	what := "read"
	if r.Write && !r.Read {
		what = "write"
	}
	who := readerKindText[r.Kind] + " " + r.Principal
	if r.Kind == iampolicy.ReaderPublic {
		who = `everyone ("*", under the statement's conditions)`
	}
	head := fmt.Sprintf("%s may %s the objects of %s (bucket policy %s) but could not once they are encrypted under %s: %s",
		who, what, b.Name, strings.Join(refs, ", "), b.KMSKey, why)
	var fix string
	switch {
	case grantable:
		fix = fmt.Sprintf("list %s under readers (the key policy then lets it decrypt through S3)", r.Principal)
	case r.Kind == iampolicy.ReaderPrincipal || r.Kind == iampolicy.ReaderAccount:
		fix = fmt.Sprintf("list its account %s under trusted_accounts and it under readers", iampolicy.AccountOf(r.Principal))
	case r.Kind == iampolicy.ReaderOAI:
		fix = "switch the distribution to origin access control and list it under cloudfront_distributions"
	case r.Kind == iampolicy.ReaderAccessPoint:
		fix = fmt.Sprintf("list the account behind the access point (%s) or the principals reading through it under readers", iampolicy.RootARN(iampolicy.PartitionOf(r.Principal), iampolicy.AccountOf(r.Principal)))
	case r.Kind == iampolicy.ReaderService:
		fix = fmt.Sprintf("add a key policy statement of your own letting %s use the key (sseguard keeps it)", r.Principal)
	default:
		fix = "narrow the bucket policy statement to the principals that must read"
	}
	return fmt.Sprintf("%s. To keep it, %s; if its loss is intended, list %q under accept_lost_readers", head, fix, r.Principal)
}

// statementName names a bucket policy statement: statement "Sid", or statement #n.
func statementName(r iampolicy.StatementRef) string {
	if r.Sid != "" {
		return "statement " + r.String()
	}
	return r.String()
}

// readerKindText names a kind of reader in messages.
var readerKindText = map[iampolicy.ReaderKind]string{
	iampolicy.ReaderAccount:     "account",
	iampolicy.ReaderPrincipal:   "principal",
	iampolicy.ReaderService:     "service",
	iampolicy.ReaderOAI:         "CloudFront",
	iampolicy.ReaderAccessPoint: "access point",
	iampolicy.ReaderOther:       "principal",
}

// readersKept judges, for every bucket already on the key, whether the key policy change the plan
// makes (before → after) takes decrypt away from one of its readers: that blocks the key's
// change, and so every bucket of the key (a change shared by all of them must not lock one out).
func (c *computer) readersKept(u *keyUse, before, after *iampolicy.Document) {
	for _, b := range u.buckets {
		ob := c.st.Buckets[b.Name]
		if ob == nil || ob.Encryption == nil || ob.Encryption.Algorithm != AlgKMS || ob.Encryption.KeyARN != u.key.ARN {
			continue
		}
		for _, r := range c.bucketReaders(ob) {
			if accepted(b, r.Principal) {
				continue
			}
			bucketARN := c.bucketARN(b.Name)
			now := r.KeyUse(before, u.key.ARN, bucketARN, ob.Encryption.BucketKey)
			then := r.KeyUse(after, u.key.ARN, bucketARN, ob.Encryption.BucketKey)
			if now.OK && !then.OK {
				u.block(BlockReaderCannotDecrypt, "the key policy change of %s would lock out a reader of %s: %s",
					u.key.ARN, b.Name, readerLoss(b, r, then.Why, c.grantable(r)))
			}
		}
	}
}
