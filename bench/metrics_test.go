package bench

import (
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"

	"github.com/synack-net/synack/stack"
)

// The stack's counters in the Prometheus text format, read by
// Prometheus's own parser (a dependency of this module only): one family
// per counter and one for the drops, each with its HELP text, and the
// values as written.
func TestCountersParseAsPrometheus(t *testing.T) {
	k := stack.Counters{ActiveOpens: 3, CurrEstab: 2, MemoryAllocated: 4096}
	k.Drops[stack.DropBadChecksum] = 7
	var b strings.Builder
	if err := k.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	var p expfmt.TextParser
	families, err := p.TextToMetricFamilies(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	fields := 0
	ct := reflect.TypeFor[stack.Counters]()
	for i := range ct.NumField() {
		if ct.Field(i).Type.Kind() == reflect.Uint64 {
			fields++
		}
	}
	if len(families) != fields+1 {
		t.Errorf("%d families for %d counters and the drops", len(families), fields)
	}
	for name, f := range families {
		if f.GetHelp() == "" || len(f.GetMetric()) == 0 {
			t.Errorf("%s: no HELP or no sample", name)
		}
	}
	for name, want := range map[string]float64{
		"synack_tcp_active_opens_total": 3, "synack_tcp_curr_estab": 2, "synack_tcp_memory_allocated_bytes": 4096,
	} {
		f := families[name]
		if f == nil {
			t.Errorf("no family %s", name)
			continue
		}
		m := f.GetMetric()[0]
		got := m.GetCounter().GetValue() + m.GetGauge().GetValue()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for _, m := range families["synack_drops_total"].GetMetric() {
		if l := m.GetLabel(); len(l) != 1 || l[0].GetName() != "reason" ||
			l[0].GetValue() == "bad-checksum" && m.GetCounter().GetValue() != 7 {
			t.Errorf("drops sample %v", m)
		}
	}
}
