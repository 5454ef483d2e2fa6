package redact

import (
	"sync"
)

// Known values: every value a vault has masked is found again wherever it
// appears, however far from where it was first found and whether or not
// the detector would recognise it there.
//
// The index is anchored on each value's first knownMinLen bytes: one
// pass over the text rolls a 48-bit window, tests a bit in a 2^16-bit
// filter that stays in the first-level cache (one load per byte for almost
// every position), then in a 2^20-bit one, and, on a hit, looks the window
// up exactly and compares the values that start with it.
// Adding a value is O(1); nothing is rebuilt, so the index grows with the
// session at no cost per request (see BenchmarkKnown).

const (
	// knownMinLen is the shortest value found again: shorter values (a
	// 4-byte PIN) would mask ordinary words everywhere.
	knownMinLen = 6
	filterBits  = 20
	// coarseBits is the first filter's size: 8 KiB, read on every byte.
	// Its bit for a window is the fine filter's bit with the low
	// filterBits-coarseBits bits dropped, so it is set whenever that one
	// is, and a miss in it is a miss in both.
	coarseBits = 16
	// pairStride: while few pairs are set (pairsSparse), a scan probes
	// every pairStride-th byte in the pair table (see scanSparse). A value
	// of knownMinLen bytes or more covers one such position in its first
	// pairStride bytes, with the pair there inside its first six.
	pairStride  = 4
	pairsSparse = 1 << 10
	// knownMaxBytes bounds the index; beyond it the older half is dropped.
	knownMaxBytes = 32 << 20
)

// knownIndex is the set of known values. Safe for concurrent use.
type knownIndex struct {
	// mu guards everything below.
	mu     sync.RWMutex
	filter *[1 << filterBits / 64]uint64 // bits over hashed anchors
	coarse *[1 << coarseBits / 64]uint64 // filter folded (see coarseBits)
	// pairs has a bit for every two bytes at offsets 0 to pairStride-1
	// of a value; pairsSet counts the bits set.
	pairs    *[1 << 16 / 64]uint64
	pairsSet int
	// pairFirst has a bit for the first byte of every pair in pairs.
	pairFirst [256 / 64]uint64
	byAnchor  map[uint64][]int32 // first 6 bytes (little-endian) → value ids
	values    []knownValue
	ids       map[string]int32
	bytes     int
	longest   int    // the longest value's length
	added     uint64 // values ever added; never decreases

	// scratch holds *[]byte buffers for firstAll's byte copy of the text
	// (the leak guard runs it on every part of every request).
	scratch sync.Pool
}

type knownValue struct {
	value    string
	ruleID   string
	category Category
}

func newKnownIndex() *knownIndex {
	return &knownIndex{filter: new([1 << filterBits / 64]uint64), coarse: new([1 << coarseBits / 64]uint64),
		pairs: new([1 << 16 / 64]uint64), byAnchor: map[uint64][]int32{}, ids: map[string]int32{}}
}

func anchorBit(x uint64) uint64 { return (x * 0x9E3779B97F4A7C15) >> (64 - filterBits) }

// mayStart reports whether the filter lets a known value start with the six
// bytes x (false: none does). k.mu is held.
func (k *knownIndex) mayStart(x uint64) bool {
	return mayStart(k.coarse, k.filter, x)
}

// mayStart is knownIndex.mayStart on the filters themselves, for loops
// that keep them in registers.
func mayStart(coarse *[1 << coarseBits / 64]uint64, fine *[1 << filterBits / 64]uint64, x uint64) bool {
	bit := anchorBit(x)
	if c := bit >> (filterBits - coarseBits); coarse[c/64]&(1<<(c%64)) == 0 {
		return false
	}
	return fine[bit/64]&(1<<(bit%64)) != 0
}

// add records value (masked under ruleID) once.
func (k *knownIndex) add(value, ruleID string, cat Category) {
	if len(value) < knownMinLen {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.ids[value]; ok {
		return
	}
	if k.bytes+len(value) > knownMaxBytes {
		k.dropOlderHalf()
	}
	k.insert(knownValue{value, ruleID, cat})
	k.added++
}

// insert indexes kv. k.mu is held.
func (k *knownIndex) insert(kv knownValue) {
	id := int32(len(k.values))
	k.values = append(k.values, kv)
	k.ids[kv.value] = id
	k.bytes += len(kv.value)
	k.longest = max(k.longest, len(kv.value))
	a := anchor(kv.value, 0)
	bit := anchorBit(a)
	k.filter[bit/64] |= 1 << (bit % 64)
	c := bit >> (filterBits - coarseBits)
	k.coarse[c/64] |= 1 << (c % 64)
	for o := range pairStride {
		if g := uint16(a >> (8 * o)); k.pairs[g/64]&(1<<(g%64)) == 0 {
			k.pairs[g/64] |= 1 << (g % 64)
			k.pairsSet++
		}
		k.pairFirst[byte(a>>(8*o))/64] |= 1 << (byte(a>>(8*o)) % 64)
	}
	k.byAnchor[a] = append(k.byAnchor[a], id)
}

// dropOlderHalf rebuilds the index from its newer half. k.mu is held.
func (k *knownIndex) dropOlderHalf() {
	keep := k.values[len(k.values)/2:]
	k.filter, k.coarse = new([1 << filterBits / 64]uint64), new([1 << coarseBits / 64]uint64)
	k.pairs, k.pairsSet, k.pairFirst = new([1 << 16 / 64]uint64), 0, [256 / 64]uint64{}
	k.byAnchor, k.ids, k.values, k.bytes, k.longest = map[uint64][]int32{}, map[string]int32{}, nil, 0, 0
	for _, kv := range keep {
		k.insert(kv)
	}
}

// version counts the values ever added.
func (k *knownIndex) version() uint64 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.added
}

// maxLen is the longest value's length (0: none).
func (k *knownIndex) maxLen() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.longest
}

// len is the number of values held.
func (k *knownIndex) len() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return len(k.values)
}

func anchor[T string | []byte](s T, i int) uint64 {
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40
}

// scan calls fn for each occurrence of a known value in text, leftmost
// first, with the longest value known at that position; fn returns false
// to stop. Occurrences may overlap.
func scanKnown[T string | []byte](k *knownIndex, text T, fn func(s, e int, kv *knownValue) bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if len(k.values) == 0 || len(text) < knownMinLen {
		return
	}
	if k.pairsSet <= pairsSparse {
		scanSparse(k, text, fn)
		return
	}
	x := anchor(text, 0)
	coarse, fine := k.coarse, k.filter
	for i := 0; ; i++ {
		if mayStart(coarse, fine, x) && !reportAt(k, text, i, x, fn) {
			return
		}
		if i+knownMinLen >= len(text) {
			return
		}
		x = x>>8 | uint64(text[i+knownMinLen])<<40
	}
}

// scanSparse is scanKnown reading every pairStride-th byte: a value
// starting at p covers the position i in [p, p+pairStride) that is a
// multiple of pairStride, and text[i:i+2] is then one of its pairs; so
// only where the pair table has text[i:i+2] are the starts i-pairStride+1
// to i (in order: leftmost first still) looked at, as scanKnown looks at
// every start. k.mu is held.
func scanSparse[T string | []byte](k *knownIndex, text T, fn func(s, e int, kv *knownValue) bool) {
	coarse, fine, pairs := k.coarse, k.filter, k.pairs
	last := len(text) - knownMinLen // the last start a value fits at
	for i := 0; i <= last+pairStride-1 && i+2 <= len(text); i += pairStride {
		if g := uint16(text[i]) | uint16(text[i+1])<<8; pairs[g/64]&(1<<(g%64)) == 0 {
			continue
		}
		for p := max(0, i-pairStride+1); p <= i && p <= last; p++ {
			if x := anchor(text, p); mayStart(coarse, fine, x) && !reportAt(k, text, p, x, fn) {
				return
			}
		}
	}
}

// reportAt calls fn with the longest known value at text[i:] whose first
// six bytes are x, if any, and returns what fn returns (true: none).
// k.mu is held.
func reportAt[T string | []byte](k *knownIndex, text T, i int, x uint64, fn func(s, e int, kv *knownValue) bool) bool {
	best := -1
	for _, id := range k.byAnchor[x] {
		v := k.values[id].value
		if len(v) <= len(text)-i && string(text[i:i+len(v)]) == v && (best < 0 || len(v) > len(k.values[best].value)) {
			best = int(id)
		}
	}
	return best < 0 || fn(i, i+len(k.values[best].value), &k.values[best])
}

// findings returns the known values in text as findings, overlapping
// occurrences joined into one, sorted by Start.
func (k *knownIndex) findings(text []byte) []Finding { return k.appendFindings(nil, text) }

// appendFindings is findings appended to out (joined only with each
// other, never with out's own).
func (k *knownIndex) appendFindings(out []Finding, text []byte) []Finding {
	n0 := len(out)
	scanKnown(k, text, func(s, e int, kv *knownValue) bool {
		if n := len(out); n > n0 && s < out[n-1].End {
			out[n-1].End = max(out[n-1].End, e)
			return true
		}
		out = append(out, Finding{RuleID: kv.ruleID, Category: kv.category, Description: "value masked before",
			Start: s, End: e, Confidence: 1})
		return true
	})
	return out
}

// firstKnown returns the first known value in text.
func firstKnown[T string | []byte](k *knownIndex, text T) (string, bool) {
	var found string
	scanKnown(k, text, func(s, e int, kv *knownValue) bool {
		found = kv.value
		return false
	})
	return found, found != ""
}
