package stack

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// Every field of Counters is written with a HELP text and a TYPE under a
// name that follows the Prometheus conventions, and each name once.
func TestWritePrometheusNamesEveryCounter(t *testing.T) {
	k := Counters{ActiveOpens: 3, CurrEstab: 2, TCPOFODrop: 1}
	k.Drops[DropBadChecksum] = 7
	var b strings.Builder
	if err := k.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	typ := reflect.TypeOf(k)
	names := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Type.Kind() != reflect.Uint64 {
			continue
		}
		name, gauge := metricName(f.Name)
		if names[name] {
			t.Errorf("%s: name %s twice", f.Name, name)
		}
		names[name] = true
		if counterHelp[f.Name] == "" {
			t.Errorf("%s has no HELP text", f.Name)
		}
		if !regexp.MustCompile(`^synack_(tcp|udp|icmp)_[a-z0-9]+(_[a-z0-9]+)*$`).MatchString(name) ||
			gauge == strings.HasSuffix(name, "_total") {
			t.Errorf("%s: badly formed name %s (gauge %v)", f.Name, name, gauge)
		}
		if !strings.Contains(out, "# TYPE "+name+" ") {
			t.Errorf("%s: no TYPE line for %s", f.Name, name)
		}
	}
	for _, want := range []string{
		"synack_tcp_active_opens_total 3\n", "synack_tcp_curr_estab 2\n", "synack_tcp_ofo_drop_total 1\n",
		"synack_tcp_path_mtu_changes_total 0\n", "synack_icmp_out_dest_unreachs_total 0\n",
		"synack_tcp_memory_allocated_bytes 0\n", `synack_drops_total{reason="bad-checksum"} 7` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no line %q in\n%s", want, out)
		}
	}
}
