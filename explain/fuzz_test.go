package explain

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var writeCorpus = flag.Bool("corpus", false, "rewrite testdata/fuzz/FuzzExplain from the captures the tests make")

// FuzzExplain feeds arbitrary bytes to the whole of explain: the capture
// reader, the link-layer and IP decoders, the observer and both
// renderers. Bad input gives an error, never a panic, and every state
// change the observer infers is in the state diagram. The corpus in
// testdata/fuzz/FuzzExplain holds captures the tests make (the kernel's
// under testdata/, and simulated ones in every link type; -corpus
// rewrites it).
func FuzzExplain(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, c := range rep.Connections {
			checkTransitions(t, c.Events)
		}
		if err := rep.WriteJSON(io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := rep.WriteText(io.Discard, "fuzz", TextOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestWriteFuzzCorpus writes the fuzz corpus when run with -corpus.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -corpus to rewrite testdata/fuzz/FuzzExplain")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzExplain")
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{}
	files, _ := filepath.Glob("testdata/*.pcap")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		seeds["kernel-"+filepath.Base(name)] = b
	}
	for name, b := range linkTypeCaptures(t) {
		seeds["sim-"+name] = b
	}
	for name, b := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
