package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
)

// What a re-encryption will cost, estimated before anyone pays: the requests each engine sends
// (and the per-job and per-object charges of Batch Operations), from the counts the plan has (this
// plan's scan, the check scan after a generation, or the bucket's S3 Inventory), priced with a
// dated table that cites where each price comes from and that a file can override (--prices,
// action input prices-file). The estimate is data in the plan; the reports only render it.

// Price is one unit price in US dollars: USD for Per units.
type Price struct {
	USD float64
	Per int64
	// Source is where the price comes from (a page, and how sure it is).
	Source string
}

// Unit is the price of one unit.
func (p Price) Unit() float64 {
	if p.Per <= 0 {
		return 0
	}
	return p.USD / float64(p.Per)
}

// Prices is the price table.
type Prices struct {
	// AsOf is when the table was read from its sources; Region the region its prices are for.
	AsOf   string
	Region string
	// Write is S3's "PUT, COPY, POST, LIST requests" price and Read its "GET, SELECT, and all
	// other requests" price, by storage class (the class written or read).
	Write map[string]Price
	Read  map[string]Price
	// UpdateObjectEncryption is the price of one UpdateObjectEncryption request.
	UpdateObjectEncryption Price
	// KMS is the price of KMS requests (GenerateDataKey, Decrypt, ...).
	KMS Price
	// BatchJob, BatchObject and BatchManifest are S3 Batch Operations' charges: per job, per
	// object operation, and per object the manifest generator lists.
	BatchJob      Price
	BatchObject   Price
	BatchManifest Price
}

// Sources of the default price table. The S3 and KMS pricing pages render their tables in the
// browser; the figures below were read from stored copies of them and of pages quoting them on the
// date of AsOf, and are marked where no stored copy of AWS's own page confirmed them.
const (
	s3PricingPage  = "https://aws.amazon.com/s3/pricing/"
	kmsPricingPage = "https://aws.amazon.com/kms/pricing/"
)

// DefaultPrices is the price table sseguard ships: us-east-1, read on 2026-12-07.
func DefaultPrices() Prices {
	req := func(usd float64) Price {
		return Price{USD: usd, Per: 1000, Source: s3PricingPage + " (Requests & data retrievals, us-east-1)"}
	}
	return Prices{
		AsOf: "2026-12-07", Region: "us-east-1",
		Write: map[string]Price{
			"STANDARD": req(0.005), "INTELLIGENT_TIERING": req(0.005), "STANDARD_IA": req(0.01), "ONEZONE_IA": req(0.01),
			"GLACIER_IR": req(0.02), "GLACIER": req(0.03), "DEEP_ARCHIVE": req(0.05), "REDUCED_REDUNDANCY": req(0.005),
		},
		Read: map[string]Price{
			"STANDARD": req(0.0004), "INTELLIGENT_TIERING": req(0.0004), "STANDARD_IA": req(0.001), "ONEZONE_IA": req(0.001),
			"GLACIER_IR": req(0.01), "GLACIER": req(0.0004), "DEEP_ARCHIVE": req(0.0004), "REDUCED_REDUNDANCY": req(0.0004),
		},
		// No stored page states a price of its own for UpdateObjectEncryption: counted as a PUT
		// request of S3 Standard, and docs/existing-objects.md says so.
		UpdateObjectEncryption: Price{USD: 0.005, Per: 1000, Source: s3PricingPage + " (no price of its own found: counted as a PUT request)"},
		KMS:                    Price{USD: 0.03, Per: 10000, Source: kmsPricingPage + " (Key usage: requests)"},
		BatchJob:               Price{USD: 0.25, Per: 1, Source: s3PricingPage + " (Management & insights: S3 Batch Operations, per job)"},
		BatchObject:            Price{USD: 1.00, Per: 1_000_000, Source: s3PricingPage + " (S3 Batch Operations, per million object operations; not confirmed from a stored copy of the page: check it)"},
		BatchManifest:          Price{USD: 0, Per: 1_000_000, Source: "no stored AWS page states a price for manifest generation: not priced; set it in a prices file"},
	}
}

// MaxPricesFile bounds a prices file.
const MaxPricesFile = 1 << 20

// ReadPrices reads a prices file (JSON, the fields of Prices, at most MaxPricesFile bytes) over the
// default table: what the file names replaces the default, the rest stays. Unknown fields, negative
// prices and non-positive units are refused.
func ReadPrices(r io.Reader) (Prices, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPricesFile+1))
	if err != nil {
		return Prices{}, fmt.Errorf("prices file: %w", err)
	}
	if len(data) > MaxPricesFile {
		return Prices{}, fmt.Errorf("prices file: larger than %d bytes", MaxPricesFile)
	}
	return parsePrices(data)
}

// The prices file's field names. The file is a format of its own, read by name here (Prices
// carries no JSON tags: its Go names can change without changing the file).
const (
	priceUSD, pricePer, priceSource = "usd", "per", "source"
	pricesAsOf, pricesRegion        = "as_of", "region"
	pricesWrite, pricesRead         = "s3_write_requests", "s3_read_requests"
)

func parsePrices(data []byte) (Prices, error) {
	p := DefaultPrices()
	over, err := decodePrices(data)
	if err != nil {
		return Prices{}, fmt.Errorf("prices file: %w", err)
	}
	if over.AsOf != "" {
		p.AsOf = over.AsOf
	}
	if over.Region != "" {
		p.Region = over.Region
	}
	var errs []string
	for _, t := range []struct {
		name      string
		dst, over map[string]Price
	}{{pricesWrite, p.Write, over.Write}, {pricesRead, p.Read, over.Read}} {
		for class, v := range t.over {
			if _, known := t.dst[class]; !known {
				errs = append(errs, fmt.Sprintf("%s.%s: not a storage class the table prices", t.name, class))
				continue
			}
			t.dst[class] = withSource(v, "prices file")
		}
	}
	for name, src := range over.single() {
		if *src != (Price{}) {
			*p.single()[name] = withSource(*src, "prices file")
		}
	}
	check := func(name string, v Price) {
		if v.USD < 0 || math.IsNaN(v.USD) || math.IsInf(v.USD, 0) || v.Per <= 0 {
			errs = append(errs, fmt.Sprintf("%s: usd must be 0 or more and per a positive count", name))
		}
	}
	for class, v := range p.Write {
		check(pricesWrite+"."+class, v)
	}
	for class, v := range p.Read {
		check(pricesRead+"."+class, v)
	}
	for name, v := range p.single() {
		check(name, *v)
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return Prices{}, errors.New("prices file: " + strings.Join(errs, "; "))
	}
	return p, nil
}

// single are the table's prices that are not by storage class, by their name in the file.
func (p *Prices) single() map[string]*Price {
	return map[string]*Price{"s3_update_object_encryption": &p.UpdateObjectEncryption, "kms_requests": &p.KMS,
		"batch_operations_job": &p.BatchJob, "batch_operations_object": &p.BatchObject, "batch_operations_manifest_object": &p.BatchManifest}
}

// decodePrices decodes a prices file as it is, refusing a field it does not know (at any depth).
func decodePrices(data []byte) (Prices, error) {
	var out Prices
	fields, err := decodeObject(data, "")
	if err != nil {
		return Prices{}, err
	}
	single := out.single()
	// In name order, so that a file with several mistakes always gets the same error.
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		raw := fields[name]
		switch name {
		case pricesAsOf:
			err = decodeValue(raw, name, &out.AsOf)
		case pricesRegion:
			err = decodeValue(raw, name, &out.Region)
		case pricesWrite, pricesRead:
			var classes map[string]json.RawMessage
			if err = decodeValue(raw, name, &classes); err != nil {
				break
			}
			m := map[string]Price{}
			for _, class := range slices.Sorted(maps.Keys(classes)) {
				if m[class], err = decodePrice(classes[class], name+"."+class); err != nil {
					break
				}
			}
			if name == pricesWrite {
				out.Write = m
			} else {
				out.Read = m
			}
		default:
			dst, ok := single[name]
			if !ok {
				return Prices{}, fmt.Errorf("unknown field %q", name)
			}
			*dst, err = decodePrice(raw, name)
		}
		if err != nil {
			return Prices{}, err
		}
	}
	return out, nil
}

// decodePrice decodes one price ({"usd": ..., "per": ..., "source": ...}) found at where.
func decodePrice(raw json.RawMessage, where string) (Price, error) {
	var out Price
	fields, err := decodeObject(raw, where)
	if err != nil {
		return Price{}, err
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		raw, at := fields[name], where+"."+name
		switch name {
		case priceUSD:
			err = decodeValue(raw, at, &out.USD)
		case pricePer:
			err = decodeValue(raw, at, &out.Per)
		case priceSource:
			err = decodeValue(raw, at, &out.Source)
		default:
			err = fmt.Errorf("%s: unknown field %q", where, name)
		}
		if err != nil {
			return Price{}, err
		}
	}
	return out, nil
}

// decodeObject decodes a JSON object (or null) into its members, refusing anything after it.
func decodeObject(raw []byte, where string) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&fields); err != nil {
		return nil, prefixed(where, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, prefixed(where, errors.New("more than one JSON value"))
	}
	return fields, nil
}

func decodeValue(raw json.RawMessage, where string, v any) error {
	return prefixed(where, json.Unmarshal(raw, v))
}

func prefixed(where string, err error) error {
	if err == nil || where == "" {
		return err
	}
	return fmt.Errorf("%s: %w", where, err)
}

func withSource(v Price, source string) Price {
	if v.Source == "" {
		v.Source = source
	}
	return v
}

// Cost is a re-encryption's estimated cost.
type Cost struct {
	// Engine is the engine the estimate is for.
	Engine string
	// Basis says where the counts come from.
	Basis string
	Items []CostItem
	// USD is the total of the items priced.
	USD float64
	// AtLeast says the total leaves out what could not be counted (see Notes).
	AtLeast bool
	Notes   []string
	// Prices names the price table: its date, region and sources.
	Prices string
}

// CostItem is one line of an estimate: Count units of What at UnitUSD each.
type CostItem struct {
	What    string
	Count   int64
	UnitUSD float64
	USD     float64
	// UpTo says Count is an upper bound (KMS requests with S3 Bucket Keys).
	UpTo bool
}

type costBuilder struct {
	c Cost
	p Prices
}

func (b *costBuilder) add(what string, count int64, price Price, upTo bool) {
	if count <= 0 {
		return
	}
	usd := float64(count) * price.Unit()
	b.c.Items = append(b.c.Items, CostItem{What: what, Count: count, UnitUSD: price.Unit(), USD: usd, UpTo: upTo})
	b.c.USD += usd
}

func (b *costBuilder) note(format string, args ...any) {
	b.c.Notes = append(b.c.Notes, fmt.Sprintf(format, args...))
}

func (b *costBuilder) done() *Cost {
	b.c.USD = math.Round(b.c.USD*100) / 100
	b.c.Prices = fmt.Sprintf("prices of %s as of %s (%s, %s; override with --prices)", b.p.Region, b.p.AsOf, s3PricingPage, kmsPricingPage)
	return &b.c
}

// writePrice is the write price of a storage class (S3 Standard's for a class the table lacks).
func (p Prices) writePrice(class string) Price {
	if v, ok := p.Write[StorageClassOf(class)]; ok {
		return v
	}
	return p.Write["STANDARD"]
}

func (p Prices) readPrice(class string) Price {
	if v, ok := p.Read[StorageClassOf(class)]; ok {
		return v
	}
	return p.Read["STANDARD"]
}

// kindsUpdated are the kinds the local engine changes with UpdateObjectEncryption (on AWS
// endpoints, to SSE-KMS); kindsUnderKMS are those whose data key KMS must decrypt first.
var (
	kindsUpdated  = map[string]bool{"sse-s3": true, "other-kms-key": true, "bucket-key-off": true}
	kindsUnderKMS = map[string]bool{"other-kms-key": true, "bucket-key-off": true, "sse-kms": true, "dsse-kms": true}
)

// localCost estimates apply's local re-encryption of a bucket from its scan's counts: a listing
// page per 1,000 objects, a HeadObject per object (apply reads every object before changing it),
// and per object to fix an UpdateObjectEncryption (to SSE-KMS from SSE-S3 or SSE-KMS, on AWS) or a
// CopyObject in the object's storage class (multipart above 5 GiB: counted as one copy, the parts
// are not in the counts), and the KMS requests S3 makes: one to write each object under SSE-KMS,
// one more to read an object under SSE-KMS.
func localCost(o *ObjectCounts, rule *Rule, p Prices) *Cost {
	b := &costBuilder{p: p, c: Cost{Engine: EngineLocal}}
	b.c.Basis = basisOf(o)
	pages := int64(math.Ceil(float64(o.Scanned) / 1000))
	if pages == 0 {
		pages = 1
	}
	b.add("ListObjectsV2 pages (1,000 objects each)", pages, p.writePrice("STANDARD"), false)
	b.add("HeadObject, one per object", int64(o.Scanned), p.readPrice("STANDARD"), false)
	var updates, kmsWrites, kmsReads int64
	copies := map[string]int64{}
	for kind, n := range o.ToFix {
		switch {
		case rule != nil && rule.Algorithm == AlgKMS && kindsUpdated[kind]:
			updates += int64(n)
		default:
			classes := o.ToFixByClass[kind]
			counted := 0
			for class, m := range classes {
				copies[StorageClassOf(class)] += int64(m)
				counted += m
			}
			copies["STANDARD"] += int64(n - counted)
		}
		if rule != nil && rule.Algorithm == AlgKMS {
			kmsWrites += int64(n)
		}
		if kindsUnderKMS[kind] {
			kmsReads += int64(n)
		}
	}
	b.add("UpdateObjectEncryption, one per object to fix (on AWS endpoints; where S3 refuses it, a copy instead)", updates, p.UpdateObjectEncryption, false)
	for _, class := range sortedKeys(copies) {
		b.add("CopyObject into "+class, copies[class], p.writePrice(class), false)
	}
	b.kms(rule, kmsWrites+kmsReads)
	if len(copies) > 0 {
		b.note("an object over 5 GiB is copied in parts (UploadPartCopy, each priced as a PUT request): counted here as one copy")
	}
	if o.Remaining > 0 {
		b.c.AtLeast = true
		b.note("the scan stopped with %d objects not read: they are not counted", o.Remaining)
	}
	return b.done()
}

// kms adds the KMS requests; with S3 Bucket Keys they are an upper bound.
func (b *costBuilder) kms(rule *Rule, n int64) {
	if rule != nil && rule.BucketKey {
		b.add("KMS requests (at most: S3 Bucket Keys make S3 call KMS far less often)", n, b.p.KMS, true)
		return
	}
	b.add("KMS requests", n, b.p.KMS, false)
}

// batchCost estimates a generation of Batch Operations jobs: each job's charge, one object
// operation per object it takes (and the request that operation sends: UpdateObjectEncryption, or
// a CopyObject in the job's class), the objects each job's manifest generator lists (every object
// under the bucket's prefixes), and the KMS requests as for the local engine.
func batchCost(jobs []BatchJob, t *BatchTally, scanned int, rule *Rule, p Prices) *Cost {
	b := &costBuilder{p: p, c: Cost{Engine: EngineBatch}}
	var newJobs int64
	for _, j := range jobs {
		if j.ID == "" {
			newJobs++
		}
	}
	b.add("Batch Operations jobs to create", newJobs, p.BatchJob, false)
	if t == nil {
		b.c.Basis = "object counts not known (no scan and no usable S3 Inventory): only the per-job charge is counted"
		b.c.AtLeast = true
		b.note("each job also costs its object operations, the requests they send and the KMS requests: give the bucket an S3 Inventory with EncryptionStatus to have them counted")
		return b.done()
	}
	b.c.Basis = t.Source
	var objects, updates, kmsN int64
	copies := map[string]int64{}
	for _, j := range jobs {
		if j.ID != "" {
			continue
		}
		n := int64(t.JobObjects(j))
		objects += n
		if j.Operation == OpUpdateEncryption {
			updates += n
		} else {
			copies[StorageClassOf(j.StorageClass)] += n
		}
		if rule != nil && rule.Algorithm == AlgKMS {
			kmsN += n
		}
		if j.Filter == "SSE-KMS" || j.Filter == "DSSE-KMS" {
			kmsN += n
		}
	}
	b.add("Batch Operations object operations", objects, p.BatchObject, false)
	b.add("objects listed by the jobs' manifest generators (each job lists the bucket's prefixes)", newJobs*int64(scanned), p.BatchManifest, false)
	b.add("UpdateObjectEncryption requests the jobs send", updates, p.UpdateObjectEncryption, false)
	for _, class := range sortedKeys(copies) {
		b.add("CopyObject into "+class+" the jobs send", copies[class], p.writePrice(class), false)
	}
	b.kms(rule, kmsN)
	if p.BatchManifest.USD == 0 {
		b.note("manifest generation is not priced: %s", p.BatchManifest.Source)
	}
	if strings.Contains(p.BatchObject.Source, "not confirmed") {
		b.note("the per-object charge is %s", p.BatchObject.Source)
	}
	return b.done()
}

func basisOf(o *ObjectCounts) string {
	if s := o.Source; s != nil && s.Kind == "inventory" {
		return fmt.Sprintf("counts from S3 Inventory %s created %s, and this plan's listing", s.InventoryID, s.Created)
	}
	return "counts from this plan's scan"
}

// CostText renders an estimate in one line, e.g. "about $1.23 (local engine, counts from this
// plan's scan)".
func CostText(c *Cost) string {
	if c == nil {
		return ""
	}
	amount := fmt.Sprintf("about $%.2f", c.USD)
	if c.AtLeast {
		amount = fmt.Sprintf("at least $%.2f", c.USD)
	}
	return fmt.Sprintf("%s (%s engine; %s)", amount, c.Engine, c.Basis)
}

// ItemText renders one item, e.g. "1,200 HeadObject, one per object × $0.0000004 = $0.00".
func ItemText(it CostItem) string {
	n := groupDigits(it.Count)
	if it.UpTo {
		n = "up to " + n
	}
	return fmt.Sprintf("%s %s × $%s = $%.2f", n, it.What, trimFloat(it.UnitUSD), it.USD)
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.8f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" {
		return "0"
	}
	return s
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
