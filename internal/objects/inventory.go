package objects

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/inventory"
	"github.com/sseguard/sseguard/internal/sanitize"
	"github.com/sseguard/sseguard/internal/state"
)

// A Scan whose client also implements InventoryAPI (as *s3.Client does) counts objects from the
// bucket's latest usable S3 Inventory delivery instead of a HEAD per object, when the bucket has
// an enabled CSV inventory whose fields include EncryptionStatus. The bucket is still listed (one
// request per 1,000 objects), so the counts are those of a HEAD scan: an object decided by the
// inventory is one listed now with the same ETag and size as in the inventory and not modified
// since it began; every other object (written or changed since, missing from it, or one the
// inventory cannot decide) is read with HEAD as usual. Whatever goes wrong with the inventory
// (none, stale, another format, a data file whose MD5 differs from the manifest's, a malformed row)
// makes the whole Scan a HEAD scan, with the reason in Summary.Source. Fix always reads each object.
//
// An inventory is evidence only from someone the policy trusts, and only when it is newer than
// sseguard's own changes:
//   - its destination bucket must belong to the home account (Target.ExpectedBucketOwner) or one
//     of Target.TrustedOwners, and every read of it carries that account as ExpectedBucketOwner:
//     a configuration naming a destination of another account (its AccountId) is refused, and one
//     naming none is read as the home account's (S3 refuses the read when it is not);
//   - a delivery that began before Target.InventoryNotBefore (the end of the bucket's latest
//     Batch Operations generation: UpdateObjectEncryption keeps each object's ETag and
//     Last-Modified, so an older delivery still shows the objects it fixed as they were) is not
//     used, and an object listed with a Last-Modified after the delivery began is read with HEAD
//     (a copy keeps a single-part object's ETag);
//   - each delivery must be complete: manifest.json and manifest.checksum ("the MD5 hash of the
//     content of the manifest.json file", Locating your inventory list,
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html), every
//     data file of the manifest's size and MD5. An incomplete or unusable newest delivery falls back
//     to the previous one (InventoryMaxDeliveries are tried), and the reasons are kept.
// Rows read are bounded (InventoryMaxRows, rows outside the run's prefixes included), and the
// run's MaxDuration covers reading the inventory.
//
// Amazon S3 User Guide, "Amazon S3 Inventory"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html): the list is
// eventually consistent ("the list might not include recently added or deleted objects"), and
// AWS recommends a HEAD before acting on an object: Fix does exactly that.

// Limits on the inventory a Scan uses.
const (
	// InventoryMaxAge is the oldest inventory a Scan uses: a weekly inventory plus a day.
	InventoryMaxAge = 8 * 24 * time.Hour
	// InventoryMaxObjects bounds the rows a Scan holds in memory (about 100 bytes each).
	InventoryMaxObjects = 4_000_000
	// InventoryMaxRows bounds the rows read from one delivery, skipped ones (other prefixes,
	// noncurrent versions, delete markers) included.
	InventoryMaxRows = 20_000_000
	// InventoryMaxDeliveries is how many deliveries are tried, newest first, before giving up.
	InventoryMaxDeliveries = 3
	// inventoryMaxPages bounds the listing pages read to find configurations and deliveries.
	inventoryMaxPages = 100
)

// InventoryAPI is what reading an inventory needs beyond S3API; *s3.Client satisfies it.
type InventoryAPI interface {
	ListBucketInventoryConfigurations(ctx context.Context, in *s3.ListBucketInventoryConfigurationsInput, optFns ...func(*s3.Options)) (*s3.ListBucketInventoryConfigurationsOutput, error)
	GetBucketInventoryConfiguration(ctx context.Context, in *s3.GetBucketInventoryConfigurationInput, optFns ...func(*s3.Options)) (*s3.GetBucketInventoryConfigurationOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ InventoryAPI = (*s3.Client)(nil)

// invEntry is what the inventory decided about one object.
type invEntry struct {
	etag     string
	size     int64
	class    string
	kind     string // "" compliant, a Kind, or KindSkipped with reason
	reason   string
	observed string
	head     bool // the inventory cannot decide: read it
}

// invIndex is a delivered inventory, by key.
type invIndex struct {
	m map[string]invEntry
	// created is when the delivery began: an object modified after it is read with HEAD.
	created time.Time
}

// errNoInventory wraps every reason no inventory is used.
type noInventory struct{ reason string }

func (e noInventory) Error() string { return e.reason }

func skipInventory(format string, args ...any) error {
	return noInventory{reason: fmt.Sprintf(format, args...)}
}

// rowSink receives the rows of a delivery (in the run's prefixes, current, not delete markers);
// reset forgets them when the delivery turns out unusable half-way.
type rowSink interface {
	row(inventory.Row, inventory.Schema) error
	reset()
}

// indexSink keeps each row's decision, for a Scan.
type indexSink struct {
	r   *runner
	idx *invIndex
}

func (s *indexSink) row(row inventory.Row, sc inventory.Schema) error {
	return s.r.indexRow(row, sc, s.idx)
}
func (s *indexSink) reset() { s.idx.m = map[string]invEntry{} }

// useInventory loads the bucket's inventory for a Scan, setting r.inv and r.source.
func (r *runner) useInventory(ctx context.Context, api S3API) {
	ia, ok := api.(InventoryAPI)
	if !ok {
		r.source = &state.ObjectSource{Kind: state.SourceHead, Reason: "this client cannot read S3 Inventory"}
		return
	}
	idx := &invIndex{m: map[string]invEntry{}}
	src, created, err := r.loadInventory(ctx, ia, &indexSink{r: r, idx: idx})
	if err != nil {
		r.source = &state.ObjectSource{Kind: state.SourceHead, Reason: err.Error()}
		return
	}
	idx.created = created
	r.inv, r.source = idx, src
}

// inventoryCandidate is one usable configuration.
type inventoryCandidate struct {
	id, bucket, prefix, owner string
	fields                    map[string]bool
}

// delivery is one delivery folder of a configuration.
type delivery struct {
	c      inventoryCandidate
	folder string
	at     time.Time
}

// loadInventory reads the newest usable delivery of the bucket's usable configurations into sink,
// falling back to older ones (at most InventoryMaxDeliveries tried). It answers the source and when
// the delivery began.
func (r *runner) loadInventory(ctx context.Context, api InventoryAPI, sink rowSink) (*state.ObjectSource, time.Time, error) {
	cands, err := r.inventoryConfigs(ctx, api)
	if err != nil {
		return nil, time.Time{}, err
	}
	var all []delivery
	var reasons []string
	for _, c := range cands {
		ds, err := r.deliveries(ctx, api, c)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("inventory %s: %v", c.id, err))
			continue
		}
		all = append(all, ds...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at.After(all[j].at) })
	tried := 0
	for _, d := range all {
		if r.stopped() {
			reasons = append(reasons, "the run's time budget ran out while the inventory was read")
			break
		}
		if why := r.tooOld(d.at); why != "" {
			reasons = append(reasons, fmt.Sprintf("inventory %s delivery %s %s", d.c.id, d.folder, why))
			continue
		}
		if tried == InventoryMaxDeliveries {
			reasons = append(reasons, fmt.Sprintf("%d deliveries tried", tried))
			break
		}
		tried++
		src, created, err := r.loadDelivery(ctx, api, d, sink)
		if err == nil {
			return src, created, nil
		}
		sink.reset()
		reasons = append(reasons, err.Error())
	}
	if len(reasons) == 0 {
		reasons = append(reasons, "no delivery yet")
	}
	return nil, time.Time{}, skipInventory("%s", strings.Join(reasons, "; "))
}

// tooOld says why a delivery that began at is not used, "" when it may be.
func (r *runner) tooOld(at time.Time) string {
	switch {
	case !r.t.InventoryNotBefore.IsZero() && at.Before(r.t.InventoryNotBefore):
		return fmt.Sprintf("began at %s, before sseguard's last change to the bucket's objects (%s): it may show objects as they were before",
			at.Format(time.RFC3339), r.t.InventoryNotBefore.UTC().Format(time.RFC3339))
	case time.Since(at) > InventoryMaxAge:
		return fmt.Sprintf("is %s old, older than the %s accepted", roundAge(time.Since(at)), roundAge(InventoryMaxAge))
	}
	return ""
}

// loadDelivery reads one delivery: its manifest, checked against manifest.checksum, then every data
// file into sink.
func (r *runner) loadDelivery(ctx context.Context, api InventoryAPI, d delivery, sink rowSink) (*state.ObjectSource, time.Time, error) {
	c := d.c
	key := c.base(r.t.Bucket) + d.folder + "/manifest.json"
	where := fmt.Sprintf("s3://%s/%s", c.bucket, key)
	body, err := r.getLimited(ctx, api, c, key, inventory.MaxManifestSize)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read %s: %v", where, err)
	}
	sum, err := r.getLimited(ctx, api, c, c.base(r.t.Bucket)+d.folder+"/manifest.checksum", 1024)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: its manifest.checksum cannot be read (%v): the delivery is incomplete", where, err)
	}
	if got := md5.Sum(body); !strings.EqualFold(strings.TrimSpace(string(sum)), hex.EncodeToString(got[:])) {
		return nil, time.Time{}, fmt.Errorf("%s: its MD5 is %s, manifest.checksum says %q: incomplete or replaced", where, hex.EncodeToString(got[:]), strings.TrimSpace(string(sum)))
	}
	m, err := inventory.ParseManifest(body)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %v", where, err)
	}
	created, _ := m.Created()
	age := time.Since(created)
	switch {
	case m.SourceBucket != r.t.Bucket:
		return nil, time.Time{}, fmt.Errorf("%s is for bucket %q, not %s", where, m.SourceBucket, r.t.Bucket)
	case m.FileFormat != inventory.FormatCSV:
		return nil, time.Time{}, fmt.Errorf("%s is in %s format: only CSV inventories are read (no Go reader for ORC or Parquet is in this build)", where, m.FileFormat)
	case age < -time.Hour:
		return nil, time.Time{}, fmt.Errorf("%s says it was created at %s, in the future", where, created.Format(time.RFC3339))
	case r.tooOld(created) != "":
		return nil, time.Time{}, fmt.Errorf("%s %s", where, r.tooOld(created))
	}
	schema, err := inventory.ParseSchema(m.FileSchema)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %v", where, err)
	}
	if !schema.Has(inventory.ColEncryptionStatus) {
		return nil, time.Time{}, fmt.Errorf("%s: its fileSchema has no EncryptionStatus column", where)
	}
	rows := 0
	for _, f := range m.Files {
		if err := r.readDataFile(ctx, api, c, f, schema, sink, &rows); err != nil {
			return nil, time.Time{}, fmt.Errorf("%s: %v", where, err)
		}
	}
	return &state.ObjectSource{Kind: state.SourceInventory, InventoryID: c.id, Manifest: where,
		Created: created.Format(time.RFC3339), AgeSeconds: int64(age / time.Second)}, created, nil
}

func roundAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return d.Round(time.Minute).String()
}

// base is the key prefix of the configuration's deliveries: destination-prefix/source-bucket/config-ID/.
func (c inventoryCandidate) base(source string) string {
	p := ""
	if c.prefix != "" {
		p = strings.TrimSuffix(c.prefix, "/") + "/"
	}
	return p + source + "/" + c.id + "/"
}

// inventoryConfigs lists the bucket's inventory configurations that a Scan can use.
func (r *runner) inventoryConfigs(ctx context.Context, api InventoryAPI) ([]inventoryCandidate, error) {
	var all []types.InventoryConfiguration
	var token *string
	for page := 0; page < inventoryMaxPages; page++ {
		r.c.counts[opInventoryConfigs].Add(1)
		out, err := api.ListBucketInventoryConfigurations(ctx, &s3.ListBucketInventoryConfigurationsInput{
			Bucket: aws.String(r.t.Bucket), ContinuationToken: token, ExpectedBucketOwner: r.c.owner}, r.c.optFn)
		if err != nil {
			return nil, skipInventory("list inventory configurations: %v", err)
		}
		// Each configuration is read again by id: moto 5.2.1 answers the list with every
		// configuration's OptionalFields malformed (and IncludedObjectVersions always All), while
		// GetBucketInventoryConfiguration answers as AWS documents. Same permission
		// (s3:GetInventoryConfiguration), one more request per configuration.
		for _, ic := range out.InventoryConfigurationList {
			r.c.counts[opInventoryConfig].Add(1)
			one, err := api.GetBucketInventoryConfiguration(ctx, &s3.GetBucketInventoryConfigurationInput{
				Bucket: aws.String(r.t.Bucket), Id: ic.Id, ExpectedBucketOwner: r.c.owner}, r.c.optFn)
			if err != nil {
				return nil, skipInventory("read inventory configuration %s: %v", aws.ToString(ic.Id), err)
			}
			if one.InventoryConfiguration != nil {
				all = append(all, *one.InventoryConfiguration)
			}
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			break
		}
		token = out.NextContinuationToken
	}
	if len(all) == 0 {
		return nil, skipInventory("%s", state.NoInventoryConfigured)
	}
	var cands []inventoryCandidate
	var reasons []string
	for _, ic := range all {
		id := aws.ToString(ic.Id)
		d := ic.Destination
		fields := map[string]bool{}
		for _, f := range ic.OptionalFields {
			fields[string(f)] = true
		}
		switch {
		case !aws.ToBool(ic.IsEnabled):
			reasons = append(reasons, fmt.Sprintf("inventory %s is disabled", id))
		case d == nil || d.S3BucketDestination == nil:
			reasons = append(reasons, fmt.Sprintf("inventory %s has no destination", id))
		case d.S3BucketDestination.Format != types.InventoryFormatCsv:
			reasons = append(reasons, fmt.Sprintf("inventory %s is in %s format: only CSV inventories are read", id, d.S3BucketDestination.Format))
		case !fields[string(types.InventoryOptionalFieldEncryptionStatus)]:
			reasons = append(reasons, fmt.Sprintf("inventory %s does not include EncryptionStatus", id))
		case !r.t.coveredBy(ic.Filter):
			reasons = append(reasons, fmt.Sprintf("inventory %s lists only keys under %q, not every prefix scanned", id, aws.ToString(ic.Filter.Prefix)))
		default:
			b := d.S3BucketDestination
			bucket := aws.ToString(b.Bucket)
			if i := strings.LastIndex(bucket, ":"); i >= 0 {
				bucket = bucket[i+1:] // arn:aws:s3:::name
			}
			// Whoever can add an inventory configuration can point it at a bucket of their own,
			// and write there whatever "inventory" they like: only a destination of the home
			// account or a trusted one is read, with that account as its expected owner.
			owner := aws.ToString(b.AccountId)
			if owner == "" {
				owner = aws.ToString(r.c.owner)
			}
			if aws.ToString(r.c.owner) == "" {
				reasons = append(reasons, fmt.Sprintf("inventory %s: the bucket's account is not known, so who owns its destination cannot be checked", id))
				continue
			}
			if owner != aws.ToString(r.c.owner) && !slices.Contains(r.t.TrustedOwners, owner) {
				reasons = append(reasons, fmt.Sprintf("inventory %s delivers to s3://%s of account %s, neither the bucket's account (%s) nor one listed under trusted_accounts: an inventory there could say anything, it is not read",
					id, bucket, owner, aws.ToString(r.c.owner)))
				continue
			}
			cands = append(cands, inventoryCandidate{id: id, bucket: bucket, prefix: aws.ToString(b.Prefix), owner: owner, fields: fields})
		}
	}
	if len(cands) == 0 {
		return nil, skipInventory("%s", strings.Join(reasons, "; "))
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].id < cands[j].id })
	return cands, nil
}

// coveredBy says whether an inventory filtered by f lists every object the run scans.
func (t Target) coveredBy(f *types.InventoryFilter) bool {
	if f == nil || aws.ToString(f.Prefix) == "" {
		return true
	}
	p := aws.ToString(f.Prefix)
	for _, tp := range t.prefixes() {
		if !strings.HasPrefix(tp, p) {
			return false
		}
	}
	return true
}

// deliveries lists a configuration's YYYY-MM-DDTHH-MMZ delivery folders.
func (r *runner) deliveries(ctx context.Context, api InventoryAPI, c inventoryCandidate) ([]delivery, error) {
	base := c.base(r.t.Bucket)
	in := &s3.ListObjectsV2Input{Bucket: aws.String(c.bucket), Prefix: aws.String(base), Delimiter: aws.String("/"), ExpectedBucketOwner: aws.String(c.owner)}
	var out []delivery
	for page := 0; page < inventoryMaxPages; page++ {
		r.c.counts[opList].Add(1)
		res, err := r.c.api.ListObjectsV2(ctx, in, r.c.optFn)
		if err != nil {
			return nil, fmt.Errorf("list deliveries in s3://%s/%s: %w", c.bucket, base, err)
		}
		for _, cp := range res.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), base), "/")
			if at, ok := inventory.DeliveryFolder(name); ok {
				out = append(out, delivery{c: c, folder: name, at: at})
			}
		}
		if !aws.ToBool(res.IsTruncated) || res.NextContinuationToken == nil {
			break
		}
		in.ContinuationToken = res.NextContinuationToken
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no delivery under s3://%s/%s yet", c.bucket, base)
	}
	return out, nil
}

// getObject reads an object of the destination bucket.
func (r *runner) getObject(ctx context.Context, api InventoryAPI, c inventoryCandidate, key string) (*s3.GetObjectOutput, error) {
	r.c.counts[opGet].Add(1)
	return api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key), ExpectedBucketOwner: aws.String(c.owner)}, r.c.optFn)
}

// getLimited reads a whole object of at most max bytes.
func (r *runner) getLimited(ctx context.Context, api InventoryAPI, c inventoryCandidate, key string, max int64) ([]byte, error) {
	out, err := r.getObject(ctx, api, c, key)
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return b, nil
}

// errStopped ends reading an inventory when the run's time budget runs out.
var errStopped = errors.New("the run's time budget ran out while the inventory was read")

// readDataFile reads one data file into sink, checking its size and MD5 against the manifest and
// counting its rows into rows (bounded by InventoryMaxRows).
func (r *runner) readDataFile(ctx context.Context, api InventoryAPI, c inventoryCandidate, f inventory.File, s inventory.Schema, sink rowSink, rows *int) error {
	out, err := r.getObject(ctx, api, c, f.Key)
	if err != nil {
		return fmt.Errorf("read data file %q: %w", f.Key, err)
	}
	defer out.Body.Close()
	h := md5.New()
	cr := &countingReader{r: io.TeeReader(io.LimitReader(out.Body, f.Size+1), h)}
	parseErr := inventory.ReadGzipCSV(cr, f.Key, s, func(row inventory.Row) error {
		if *rows++; *rows > InventoryMaxRows {
			return fmt.Errorf("more than %d rows: too many to read; the bucket is scanned with HEAD", InventoryMaxRows)
		}
		if *rows%10_000 == 0 && r.stopped() {
			return errStopped
		}
		if row.Bucket != r.t.Bucket {
			return fmt.Errorf("a row is for bucket %q, not %s", row.Bucket, r.t.Bucket)
		}
		if !row.IsLatest || row.IsDeleteMarker || !r.t.inScope(row.Key) {
			return nil
		}
		return sink.row(row, s)
	})
	if errors.Is(parseErr, errStopped) {
		return parseErr
	}
	// The rest of the file is read even after a parse error: a file that is not what the
	// manifest says is reported as such, whatever its bytes made the parser say.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return fmt.Errorf("read data file %q: %w", f.Key, err)
	}
	if cr.n != f.Size {
		return fmt.Errorf("data file %q is %d bytes or more, the manifest says %d", f.Key, cr.n, f.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, f.MD5Checksum) {
		return fmt.Errorf("data file %q has MD5 %s, the manifest says %s: corrupt or replaced", f.Key, got, f.MD5Checksum)
	}
	return parseErr
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// indexRow keeps one row's decision.
func (r *runner) indexRow(row inventory.Row, s inventory.Schema, idx *invIndex) error {
	if len(idx.m) >= InventoryMaxObjects {
		return fmt.Errorf("more than %d objects: too many to hold; the bucket is scanned with HEAD", InventoryMaxObjects)
	}
	e := r.inventoryDecision(row, s)
	e.etag, e.size, e.class = strings.Trim(row.ETag, `"`), row.Size, row.StorageClass
	if !s.Has(inventory.ColETag) || !s.Has(inventory.ColSize) {
		e.head = true // nothing to tell the object listed now is the one in the inventory
	}
	idx.m[row.Key] = e
	return nil
}

// inScope says whether key is under the run's prefixes.
func (t Target) inScope(key string) bool {
	for _, p := range t.prefixes() {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// inventoryDecision decides an object from its row as decide does from HeadObject, or says it
// cannot (head). Amazon S3 User Guide, "Amazon S3 Inventory" (URL above): EncryptionStatus is
// SSE-S3, SSE-C, SSE-KMS or NOT-SSE (DSSE-KMS for dual-layer); the list carries no KMS key id
// (the SDK's InventoryOptionalField values hold none), so an SSE-KMS object is read when a key is
// required; the restore status of an archived object is not in it either.
func (r *runner) inventoryDecision(row inventory.Row, s inventory.Schema) invEntry {
	var e encryption
	switch row.EncryptionStatus {
	case "SSE-C":
		return invEntry{kind: KindSkipped, reason: ReasonSSEC, observed: "SSE-C"}
	case "NOT-SSE":
	case "SSE-S3":
		e.sse = types.ServerSideEncryptionAes256
	case "SSE-KMS":
		if r.t.Algorithm == AlgorithmKMS {
			return invEntry{head: true}
		}
		e.sse = types.ServerSideEncryptionAwsKms
	case "DSSE-KMS":
		e.sse = types.ServerSideEncryptionAwsKmsDsse
	default:
		return invEntry{head: true}
	}
	d := invEntry{kind: classify(e, r.t), observed: e.String()}
	if e.sse == types.ServerSideEncryptionAwsKms || e.sse == types.ServerSideEncryptionAwsKmsDsse {
		d.observed = string(e.sse) + " (key not in the inventory)"
	}
	if d.kind == "" {
		return d
	}
	if !s.Has(inventory.ColLockMode) || !s.Has(inventory.ColLockRetainUntil) || !s.Has(inventory.ColLegalHold) {
		return invEntry{head: true}
	}
	if strings.EqualFold(row.LegalHold, "On") {
		return invEntry{head: true} // HEAD gives the note decide writes
	}
	if row.LockMode != "" {
		return invEntry{head: true}
	}
	if r.gate.usable() && updateSupports(d.kind, r.t) {
		return d
	}
	switch {
	case !s.Has(inventory.ColStorageClass):
		return invEntry{head: true}
	case row.StorageClass == string(types.StorageClassGlacier), row.StorageClass == string(types.StorageClassDeepArchive):
		return invEntry{head: true}
	case row.StorageClass == string(types.StorageClassIntelligentTiering) && (!s.Has(inventory.ColTieringTier) || strings.Contains(strings.ToUpper(row.TieringTier), "ARCHIVE")):
		return invEntry{head: true}
	case !r.aclsDisabled.Load():
		return invEntry{head: true}
	}
	return d
}

// fromInventory decides a listed object from the inventory; ok is false when it must be read.
func (r *runner) fromInventory(obj types.Object) (outcome, Finding, bool) {
	if r.inv == nil {
		return 0, Finding{}, false
	}
	key := aws.ToString(obj.Key)
	e, found := r.inv.m[key]
	// An object modified since the delivery began may be another object (a copy keeps a
	// single-part object's ETag, and sseguard's own copies change nothing else it lists).
	modified := obj.LastModified != nil && !r.inv.created.IsZero() && obj.LastModified.After(r.inv.created)
	if !found || e.head || modified || e.etag != strings.Trim(aws.ToString(obj.ETag), `"`) || e.size != aws.ToInt64(obj.Size) {
		r.invHeaded.Add(1)
		return 0, Finding{}, false
	}
	r.invDecided.Add(1)
	f := Finding{Key: key, Size: aws.ToInt64(obj.Size), ETag: aws.ToString(obj.ETag), Kind: e.kind, Observed: e.observed, StorageClass: classOf(e.class)}
	switch {
	case e.kind == "":
		return outCompliant, f, true
	case e.reason != "":
		o, f, _ := asSkipped(f, e.reason, "decided from the inventory")
		return o, f, true
	}
	return outWouldFix, f, true
}

// sourceOf is the run's source with its counts.
func (r *runner) sourceOf() *state.ObjectSource {
	if r.source == nil {
		return nil
	}
	s := *r.source
	if s.Kind == state.SourceInventory {
		s.FromInventory, s.WithHead = int(r.invDecided.Load()), int(r.invHeaded.Load())
	}
	return &s
}

// sourceLine describes the source for a progress line, made safe to print (the reason may
// quote keys and error text from AWS).
func sourceLine(s *state.ObjectSource) string {
	switch {
	case s == nil, s.Reason == state.NoInventoryConfigured:
		return "" // the usual case: nothing worth a word
	case s.Kind == state.SourceInventory:
		return sanitize.Line(fmt.Sprintf("from inventory %s created %s (%s old): %d decided by it, %d read with HEAD; ",
			s.InventoryID, s.Created, roundAge(time.Duration(s.AgeSeconds)*time.Second), s.FromInventory, s.WithHead))
	}
	return sanitize.Line(fmt.Sprintf("no inventory used (%s); ", s.Reason))
}
