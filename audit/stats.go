package audit

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"time"
)

// Summary holds the KPIs of one or more audit files.
type Summary struct {
	Requests    int // records
	Skipped     int // lines that are not records (verify says why)
	First, Last time.Time
	ByRoute     map[string]int // route → requests
	ByOutcome   map[string]int // outcome → requests
	Blocked     int            // requests routed block
	// BlockReasons counts blocked requests by reason, e.g.
	// "blocked: path matches **/.env (default policy rule 1)".
	BlockReasons map[string]int
	// Upstream counts a wrapped server's requests (route upstream) by
	// "kind outcome", e.g. "completions ok", "telemetry blocked".
	Upstream map[string]int
	// UpstreamRefused counts file contents (attachments, tool results)
	// replaced by a refusal before an upstream request left.
	UpstreamRefused int
	Findings        map[string]int // findings by category
	Rules           map[string]int // findings by rule id
	BytesSent       int64
	// LatencyP50 and LatencyP95 (ms, nearest rank) are over the requests the
	// user waited on the model for: not blocked, not cancelled.
	LatencyP50, LatencyP95 float64
	Days                   []Day // oldest first, by UTC date
}

// Day is one UTC day of a Summary.
type Day struct {
	Date                   string // 2006-01-02
	Requests, Blocked      int
	Findings               int
	LatencyP50, LatencyP95 float64
}

// Stats reads the files (any order) and sums them up. It does not check the
// chain (Verify does); lines that do not parse are counted in Skipped.
func Stats(files ...string) (Summary, error) {
	s := Summary{
		ByRoute: map[string]int{}, ByOutcome: map[string]int{}, BlockReasons: map[string]int{},
		Findings: map[string]int{}, Rules: map[string]int{}, Upstream: map[string]int{},
	}
	var all []float64
	days := map[string]*dayAcc{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return Summary{}, fmt.Errorf("audit: stats: %w", err)
		}
		err = eachLine(f, func(line []byte, complete bool) {
			var r Record
			if !complete || json.Unmarshal(line, &r) != nil || r.Seq <= 0 {
				s.Skipped++
				return
			}
			s.add(r)
			date := r.Time.UTC().Format(time.DateOnly)
			d := days[date]
			if d == nil {
				d = &dayAcc{Day: Day{Date: date}}
				days[date] = d
			}
			d.Requests++
			for _, n := range r.Findings {
				d.Findings += n
			}
			if r.Route == "block" {
				d.Blocked++
			} else if r.Outcome != OutcomeCancelled {
				all = append(all, r.LatencyMS)
				d.lat = append(d.lat, r.LatencyMS)
			}
		})
		f.Close()
		if err != nil {
			return Summary{}, fmt.Errorf("audit: stats %s: %w", name, err)
		}
	}
	s.LatencyP50, s.LatencyP95 = percentile(all, 50), percentile(all, 95)
	for _, d := range days {
		d.LatencyP50, d.LatencyP95 = percentile(d.lat, 50), percentile(d.lat, 95)
		s.Days = append(s.Days, d.Day)
	}
	sort.Slice(s.Days, func(i, j int) bool { return s.Days[i].Date < s.Days[j].Date })
	return s, nil
}

type dayAcc struct {
	Day
	lat []float64
}

func (s *Summary) add(r Record) {
	s.Requests++
	if s.First.IsZero() || r.Time.Before(s.First) {
		s.First = r.Time
	}
	if r.Time.After(s.Last) {
		s.Last = r.Time
	}
	s.ByRoute[r.Route]++
	s.ByOutcome[r.Outcome]++
	if r.Route == "block" {
		s.Blocked++
		s.BlockReasons[r.Reason]++
	}
	if r.Route == "upstream" {
		s.Upstream[r.Kind+" "+r.Outcome]++
		s.UpstreamRefused += r.Refused
	}
	for c, n := range r.Findings {
		s.Findings[c] += n
	}
	for id, n := range r.Rules {
		s.Rules[id] += n
	}
	s.BytesSent += int64(r.BytesSent)
}

// percentile is the nearest-rank percentile of xs (0 when empty). It sorts xs.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	rank := int(math.Ceil(p / 100 * float64(len(xs))))
	return xs[max(rank, 1)-1]
}
