package slo

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sloagent/sloagent/internal/conf"
)

// /config writes every key of a Config that is set, so that a new key
// cannot be left out of it.
func TestEffectiveConfigHasEveryKey(t *testing.T) {
	one := 1
	c := Config{
		Name: "a", Description: "d", Probes: []string{"p"}, ProbeSelector: map[string]string{"k": "v"}, Objective: 99,
		Window: WindowConfig{Calendar: Month}, BudgetingMethod: Timeslices, Timeslice: TimesliceConfig{GoodThreshold: 0.9},
		LatencyThreshold: conf.Duration(time.Second), RunbookURL: "https://runbooks.example.com/a",
		MaintenanceWindows: []MaintenanceWindow{{Start: t0, End: t0.Add(time.Hour)}},
		Alerting:           AlertingConfig{For: SeverityDurations{Page: conf.Duration(time.Minute)}, MinEvents: &one},
		Labels:             map[string]string{"team": "x"},
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeOf(c)
	for i := range typ.NumField() {
		key, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
		if _, ok := back[key]; !ok {
			t.Errorf("/config leaves out %s:\n%s", key, out)
		}
	}
}
