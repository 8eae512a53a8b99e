package slo

import (
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Timeslices as in OpenSLO: a slice is good when its good share reaches the
// threshold; slices without runs are no data; late runs judge a slice again.
func TestTimeslices(t *testing.T) {
	c := newClock(t0)
	e := mustEngine(t, []Config{{Name: "ts", Probes: []string{"p"}, Objective: 99, BudgetingMethod: Timeslices,
		Timeslice: TimesliceConfig{Length: dur(5 * time.Minute), GoodThreshold: 0.9}}}, nil, c)
	at := func(min int, sec int) time.Time {
		return t0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	run := func(min, sec int, ok bool) {
		if now := at(min, sec); now.After(c.Now()) {
			c.Set(now)
		}
		e.Observe(Event{Probe: "p", Time: at(min, sec), Success: ok})
	}
	for m := 0; m < 5; m++ { // slice 0: all good
		run(m, 0, true)
		run(m, 30, true)
	}
	for i := 0; i < 10; i++ { // slice 1: 9 of 10, exactly the threshold
		run(5+i/2, i%2*30, i != 3)
	}
	for i := 0; i < 10; i++ { // slice 2: 8 of 10
		run(10+i/2, i%2*30, i > 1)
	}
	// slice 3: no runs
	run(20, 0, false) // slice 4: 0 of 1 so far
	c.Set(at(24, 59))
	s := e.Status()[0]
	if w := window(t, s, "5m"); w.Events != 1 || w.Good != 0 {
		t.Errorf("5m window: %d good of %d slices, want 0 of 1", w.Good, w.Events)
	}
	if s.Whole.Events != 4 || s.Whole.Good != 2 {
		t.Errorf("whole window: %d good of %d slices, want 2 of 4", s.Whole.Good, s.Whole.Events)
	}
	// Late runs: slice 2 stays bad at 9 of 11; slice 4 turns good at 9 of 10.
	run(12, 10, true)
	for i := 0; i < 9; i++ {
		run(21+i/3, i%3*10, true)
	}
	s = e.Status()[0]
	if s.Whole.Events != 4 || s.Whole.Good != 3 {
		t.Errorf("after late runs: %d good of %d slices, want 3 of 4", s.Whole.Good, s.Whole.Events)
	}
	approx(t, "SLI", s.Whole.SLI, 0.75)
	approx(t, "burn rate", s.Whole.BurnRate, 25)
	if s.Events != 10+10+10+1+1+9 {
		t.Errorf("the counters count runs, not slices: %d", s.Events)
	}

	// A higher threshold judges the kept minutes again: only slice 0 is
	// good at 0.95.
	cfg := e.snap.Load().cfgs[0]
	cfg.Timeslice.GoodThreshold = 0.95
	if err := e.Update([]Config{cfg}); err != nil {
		t.Fatal(err)
	}
	if s := e.Status()[0]; s.Whole.Events != 4 || s.Whole.Good != 1 {
		t.Errorf("threshold 0.95: %d good of %d slices, want 1 of 4", s.Whole.Good, s.Whole.Events)
	}
}

// The latency threshold makes slow successes bad; maintenance windows and
// other probes do not count.
func TestWhatCounts(t *testing.T) {
	c := newClock(t0.Add(time.Hour))
	e := mustEngine(t, []Config{{Name: "fast", Probes: []string{"p"}, ProbeSelector: map[string]string{"tier": "1"},
		Objective: 99, LatencyThreshold: dur(time.Second),
		MaintenanceWindows: []MaintenanceWindow{{Start: t0.Add(10 * time.Minute), End: t0.Add(20 * time.Minute)}},
	}}, nil, c)
	for _, ev := range []Event{
		{Probe: "p", Time: t0, Success: true, Duration: 999 * time.Millisecond},                           // good
		{Probe: "p", Time: t0, Success: true, Duration: time.Second},                                      // good: within
		{Probe: "p", Time: t0, Success: true, Duration: 1001 * time.Millisecond},                          // slow: bad
		{Probe: "p", Time: t0, Success: false, Duration: time.Millisecond},                                // failed: bad
		{Probe: "p", Time: t0.Add(15 * time.Minute), Success: false},                                      // maintenance
		{Probe: "q", Time: t0, Success: false},                                                            // other probe
		{Probe: "q", Labels: map[string]string{"tier": "1"}, Time: t0, Success: true},                     // selected: good
		{Probe: "q", Labels: map[string]string{"tier": "2"}, Time: t0, Success: false},                    // labels changed
		{Probe: "r", Time: t0.Add(2 * time.Hour), Success: false, Labels: map[string]string{"tier": "1"}}, // future
	} {
		e.Observe(ev)
	}
	s := e.Status()[0]
	if s.Whole.Events != 5 || s.Whole.Good != 3 {
		t.Errorf("%d good of %d runs counted, want 3 of 5", s.Whole.Good, s.Whole.Events)
	}
	if s.Dropped != 1 || s.Events != 6 {
		t.Errorf("counters: %d runs, %d dropped; want 6 and 1", s.Events, s.Dropped)
	}
}

// A changed objective is recomputed from the counts; a longer window keeps
// them; SLOs that stay keep their counters.
func TestUpdateKeepsHistory(t *testing.T) {
	c := newClock(t0)
	cfg := Config{Name: "a", Probes: []string{"p"}, Objective: 99}
	e := mustEngine(t, []Config{cfg}, nil, c)
	for m := 0; m < 5*1440; m += 10 { // five days, a run every 10 minutes
		at := t0.Add(time.Duration(m) * time.Minute)
		c.Set(at)
		e.Observe(Event{Probe: "p", Time: at, Success: m%1000 != 0})
	}
	before := e.Status()[0]
	approx(t, "burn at 99%", before.Whole.BurnRate, 8.0/720/0.01)

	cfg.Objective = 99.5
	cfg.Window = WindowConfig{Rolling: dur(90 * 24 * time.Hour)}
	if err := e.Update([]Config{cfg, {Name: "b", Probes: []string{"p"}, Objective: 90}}); err != nil {
		t.Fatal(err)
	}
	all := e.Status()
	after := all[0]
	if after.Whole.Events != before.Whole.Events || after.Whole.Good != before.Whole.Good || after.Events != before.Events {
		t.Errorf("after update %+v (%d runs), before %+v (%d runs)", after.Whole, after.Events, before.Whole, before.Events)
	}
	approx(t, "burn at 99.5%", after.Whole.BurnRate, 8.0/720/0.005)
	// The 90-day window's alerts look back 9 days: the minutes the fine
	// tier did not keep come from quarter hours.
	if w := window(t, after, "9d"); w.Events != 720 {
		t.Errorf("9d window after the window grew: %d runs, want 720", w.Events)
	}
	if all[1].Events != 0 || all[1].Whole.HasData() {
		t.Errorf("a new SLO starts empty: %+v", all[1])
	}
	// Back to 30 days: the minutes and quarter hours are copied back.
	cfg.Window = WindowConfig{}
	if err := e.Update([]Config{cfg}); err != nil {
		t.Fatal(err)
	}
	if s := e.Status()[0]; s.Whole.Events != after.Whole.Events || s.Whole.Good != after.Whole.Good {
		t.Errorf("after shrinking the window %+v, want %+v", s.Whole, after.Whole)
	}
	if err := e.Update([]Config{cfg, cfg}); err == nil {
		t.Error("duplicate names accepted")
	}
}

// Observe from many goroutines while the config is reloaded, the state
// flushed and the metrics scraped: nothing is lost, nothing races.
func TestConcurrentUse(t *testing.T) {
	c := newClock(t0.Add(30 * time.Second))
	st := openStore(t, t.TempDir())
	defer st.Close()
	cfgs := []Config{
		{Name: "a", Probes: []string{"p"}, Objective: 99},
		{Name: "b", ProbeSelector: map[string]string{"team": "x"}, Objective: 99.9, BudgetingMethod: Timeslices,
			Timeslice: TimesliceConfig{GoodThreshold: 0.5}},
	}
	e := mustEngine(t, cfgs, st, c)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e.Collector())
	const workers, each = 8, 2000
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			labels := map[string]string{"team": "x"}
			for i := 0; i < each; i++ {
				e.Observe(Event{Probe: "p", Labels: labels, Success: i%10 != 0})
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			cfgs[0].Objective = 99 + float64(i%2)/2
			if err := e.Update(cfgs); err != nil {
				t.Error(err)
			}
			if err := e.Flush(); err != nil {
				t.Error(err)
			}
			if _, err := reg.Gather(); err != nil {
				t.Error(err)
			}
			e.Status()
		}
	}()
	wg.Wait()
	<-done
	for _, s := range e.Status() {
		if s.Events != workers*each || s.GoodEvents != workers*each*9/10 {
			t.Errorf("%s: %d good of %d runs, want %d of %d", s.Name, s.GoodEvents, s.Events, workers*each*9/10, workers*each)
		}
	}
	if s := e.Status()[0]; s.Whole.Events != workers*each {
		t.Errorf("window holds %d runs, want %d", s.Whole.Events, workers*each)
	}
}

// A clock that jumps years ahead and back costs the runs of the jump, not
// the slots they were written to.
func TestClockJump(t *testing.T) {
	c := newClock(t0)
	e := mustEngine(t, []Config{{Name: "a", Probes: []string{"p"}, Objective: 99}, {Name: "ts", Probes: []string{"p"},
		Objective: 99, BudgetingMethod: Timeslices, Timeslice: TimesliceConfig{GoodThreshold: 0.5}}}, nil, c)
	for m := 0; m < 3*1440; m++ {
		c.Set(t0.Add(50*365*24*time.Hour + time.Duration(m)*time.Minute))
		e.Observe(Event{Probe: "p", Success: true})
	}
	for m := 0; m < 3*1440; m++ {
		c.Set(t0.Add(time.Duration(m) * time.Minute))
		e.Observe(Event{Probe: "p", Success: m%2 == 0})
	}
	// One run a minute, every other one good: as many good slices.
	for _, s := range e.Status() {
		if s.Whole.Events != 3*1440 || s.Whole.Good != 3*1440/2 || s.Dropped != 0 {
			t.Errorf("%s after the clock came back: %d good of %d, %d dropped; want %d of %d, none",
				s.Name, s.Whole.Good, s.Whole.Events, s.Dropped, 3*1440/2, 3*1440)
		}
	}
}
