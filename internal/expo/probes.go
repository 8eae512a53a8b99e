package expo

import (
	"github.com/sloagent/sloagent/probes"
)

// The families every probe has, whatever its kind, in the order they are
// written. Their names follow blackbox_exporter's where the meaning is the
// same.
var (
	familySuccess  = Family{Name: "probe_success", Help: "Whether the probe's last run succeeded (1) or failed (0).", Type: Gauge}
	familyDuration = Family{Name: "probe_duration_seconds", Help: "How long the probe's last run took, in seconds.", Type: Gauge}
	familyLastRun  = Family{Name: "probe_last_run_timestamp_seconds", Help: "When the probe's last run started, as a Unix time.", Type: Gauge}
	familyRuns     = Family{Name: "probe_runs_total", Help: "Runs of the probe that finished, successful or not.", Type: Counter}
	familySkipped  = Family{Name: "sloagent_probe_skipped_runs_total", Help: "Runs not started: the probe's previous run was still in flight, or no slot of a shared resource (a browser) freed in time.", Type: Counter}
	familyFailures = Family{Name: "probe_failures_total", Help: "Runs of the probe that failed, by reason.", Type: Counter, Labels: []string{"reason"}}
	familyRunHist  = Family{Name: "probe_run_duration_seconds", Help: "Duration of every run of the probe, failed runs included.", Type: Histogram}
)

// ProbeFamilies are the families every probe exports. A kind's own are in
// its probes.Kind.
var ProbeFamilies = []*Family{
	&familySuccess, &familyDuration, &familyLastRun, &familyRuns, &familySkipped, &familyFailures, &familyRunHist,
}

// ProbeRow is one probe's state at a scrape, copied under its lock.
type ProbeRow struct {
	Labels   *Labels // the agent's labels, probe, and the probe's own
	HasRun   bool
	Success  bool
	Duration float64
	Start    float64 // Unix time
	Runs     uint64
	Skipped  uint64
	Failures []ReasonCount // by reason, sorted
	Samples  Samples
	Hist     Hist
}

// ReasonCount is how many runs failed for a reason.
type ReasonCount struct {
	Reason string
	N      uint64
}

// WriteProbes writes every probe's series. describe returns the family a
// probe kind declares for a sample's name (nil for a plugin's own). A
// sample family whose name is in taken (another family has it) is left
// out, as a registry would reject it; the names written are added to
// taken.
func WriteProbes(enc Encoder, rows []ProbeRow, describe func(name string) *Family, taken map[string]bool) error {
	fixed := []struct {
		f     *Family
		value func(*ProbeRow) (float64, bool)
	}{
		{&familySuccess, func(r *ProbeRow) (float64, bool) { return b2f(r.Success), r.HasRun }},
		{&familyDuration, func(r *ProbeRow) (float64, bool) { return r.Duration, r.HasRun }},
		{&familyLastRun, func(r *ProbeRow) (float64, bool) { return r.Start, r.HasRun }},
		{&familyRuns, func(r *ProbeRow) (float64, bool) { return float64(r.Runs), true }},
		{&familySkipped, func(r *ProbeRow) (float64, bool) { return float64(r.Skipped), true }},
	}
	for _, x := range fixed {
		taken[x.f.Name] = true
		enc.Family(x.f)
		for i := range rows {
			if v, ok := x.value(&rows[i]); ok {
				enc.Value(rows[i].Labels, nil, v)
			}
		}
		if err := enc.End(); err != nil {
			return err
		}
	}

	taken[familyFailures.Name] = true
	enc.Family(&familyFailures)
	reason := []Label{{Name: "reason"}}
	for i := range rows {
		for _, f := range rows[i].Failures {
			reason[0].Value = f.Reason
			enc.Value(rows[i].Labels, reason, float64(f.N))
		}
	}
	if err := enc.End(); err != nil {
		return err
	}

	for _, s := range []string{"", "_bucket", "_sum", "_count"} {
		taken[familyRunHist.Name+s] = true
	}
	enc.Family(&familyRunHist)
	for i := range rows {
		enc.Hist(rows[i].Labels, nil, &rows[i].Hist)
	}
	if err := enc.End(); err != nil {
		return err
	}
	return writeSamples(enc, rows, describe, taken)
}

// writeSamples writes the probes' kind-specific gauges, grouped into
// families by name in the order they first appear.
//
// Probes whose samples look the same share a layout (Layouts), so the
// samples are sorted into families once a layout rather than once a
// probe: at 10,000 probes, a map lookup and an append for each of some
// 300,000 samples took a tenth of a scrape.
func writeSamples(enc Encoder, rows []ProbeRow, describe func(string) *Family, taken map[string]bool) error {
	type layoutFamilies struct {
		// byFamily holds, for each family, the indices of the layout's
		// samples in it, in order.
		byFamily [][]int32
		// valid says whether a sample's own labels are names and values a
		// registry takes.
		valid []bool
	}
	var fams []*Family
	index := map[string]int{}
	layouts := map[*sampleLayout]*layoutFamilies{}
	of := make([]*layoutFamilies, len(rows))
	for i := range rows {
		l := rows[i].Samples.layout
		if l == nil {
			continue
		}
		lf := layouts[l]
		if lf == nil {
			lf = &layoutFamilies{valid: make([]bool, len(l.samples))}
			for j := range l.samples {
				s := &l.samples[j]
				k, seen := index[s.Name]
				if !seen {
					k = -1
					if !taken[s.Name] && validMetricName(s.Name) {
						k = len(fams)
						f := describe(s.Name)
						if f == nil {
							help := s.Help
							if help == "" {
								help = s.Name
							}
							f = &Family{Name: s.Name, Help: help, Type: Gauge}
						}
						fams = append(fams, f)
					}
					index[s.Name] = k
				}
				if k >= 0 {
					for len(lf.byFamily) <= k {
						lf.byFamily = append(lf.byFamily, nil)
					}
					lf.byFamily[k] = append(lf.byFamily[k], int32(j))
				}
				lf.valid[j] = validOwnLabels(s.Labels)
			}
			layouts[l] = lf
		}
		of[i] = lf
	}
	for k, f := range fams {
		enc.Family(f)
		for i, lf := range of {
			if lf == nil || k >= len(lf.byFamily) {
				continue
			}
			r := &rows[i]
			for _, j := range lf.byFamily[k] {
				s := &r.Samples.layout.samples[j]
				if !lf.valid[j] || labelsClash(r.Labels, s.Labels) {
					continue
				}
				enc.Value(r.Labels, s.Labels, r.Samples.values[j])
			}
		}
		if err := enc.End(); err != nil {
			return err
		}
		taken[f.Name] = true
	}
	return nil
}

// DescribeWith returns a describe function for WriteProbes over the
// families of kinds.
func DescribeWith(kinds []*probes.Kind) func(string) *Family {
	m := map[string]*Family{}
	for _, k := range kinds {
		for i := range k.Families {
			m[k.Families[i].Name] = &k.Families[i]
		}
	}
	return func(name string) *Family { return m[name] }
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
