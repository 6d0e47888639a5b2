package drill

import (
	"bufio"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// corpusDir is the external corpus: $SYNACK_DRILL_CORPUS, or
// ../shared/packetdrill beside the repository.
var corpusDir = func() string {
	if d := os.Getenv("SYNACK_DRILL_CORPUS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "packetdrill")
}()

// ownDir holds the project's own scripts, relative to this package.
var ownDir = filepath.Join("..", "testdata", "drill")

// passingFile lists the runs that passed once and must go on passing.
var passingFile = filepath.Join("testdata", "passing.txt")

var grow = flag.Bool("grow", false, "add the runs that newly pass to "+passingFile)

// corpusRoot returns the corpus directory and whether it is there. Its
// absence is logged, or is a failure when SYNACK_REQUIRE_DRILL_CORPUS=1.
func corpusRoot(t *testing.T) (string, bool) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(corpusDir, IndexFile)); err != nil {
		if os.Getenv("SYNACK_REQUIRE_DRILL_CORPUS") == "1" {
			t.Fatalf("the packetdrill corpus is required (SYNACK_REQUIRE_DRILL_CORPUS=1) but %s is missing: %v", corpusDir, err)
		}
		t.Logf("the packetdrill corpus %s is absent, so only the project's scripts run (SYNACK_REQUIRE_DRILL_CORPUS=1 makes this a failure): %v", corpusDir, err)
		return "", false
	}
	return corpusDir, true
}

// script is a script to run, with its key in the passing list and the
// options of its harness.
type script struct {
	key, file string
	harness   []Option
}

// scripts returns the corpus's scripts (if present) and the project's.
func scripts(t *testing.T) (list []script, haveCorpus bool) {
	t.Helper()
	if dir, ok := corpusRoot(t); ok {
		haveCorpus = true
		ix, err := LoadIndex(dir)
		if err != nil {
			t.Fatal(err)
		}
		files, err := FindScripts(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			rel, err := filepath.Rel(dir, f)
			if err != nil {
				t.Fatal(err)
			}
			rel = filepath.ToSlash(rel)
			list = append(list, script{key: "corpus:" + rel, file: f, harness: ix.HarnessOptions(rel)})
		}
	}
	files, err := FindScripts(ownDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		list = append(list, script{key: "synack:testdata/drill/" + filepath.Base(f), file: f})
	}
	return list, haveCorpus
}

// TestCorpusParses checks that every script of the corpus and of the
// project parses, or is reported unsupported with a reason.
func TestCorpusParses(t *testing.T) {
	list, _ := scripts(t)
	if len(list) == 0 {
		t.Fatal("no scripts found")
	}
	for _, s := range list {
		_, err := ParseFile(s.file)
		switch {
		case err == nil:
		case IsUnsupported(err):
			t.Logf("%v", err)
		default:
			t.Errorf("%v", err)
		}
	}
}

// TestConformance runs every script in both IP versions (those named
// *v4.pkt or *v6.pkt in theirs only). A run listed in the passing file
// must pass; a run that passes and is not listed is reported, so that the
// list grows (go test -run TestConformance -grow adds it).
func TestConformance(t *testing.T) {
	list, haveCorpus := scripts(t)
	passing := readPassing(t)
	seen := map[string]bool{}
	var newly []string
	for _, s := range list {
		for _, fam := range Families(s.file, []Family{IPv4, IPv6}) {
			key := s.key + " " + fam.String()
			seen[key] = true
			res := RunFile(s.file, Options{Family: fam, Harness: s.harness})
			t.Log(res)
			switch {
			case passing[key] && res.Status != Pass:
				t.Errorf("%s passed before, and now: %v", key, res)
			case !passing[key] && res.Status == Pass:
				newly = append(newly, key)
			}
		}
	}
	for key := range passing {
		if !seen[key] && (haveCorpus || !strings.HasPrefix(key, "corpus:")) {
			t.Errorf("%s is listed in %s but no such script ran", key, passingFile)
		}
	}
	if len(newly) == 0 {
		return
	}
	t.Logf("newly passing (add to %s, or run with -grow):\n%s", passingFile, strings.Join(newly, "\n"))
	if *grow {
		writePassing(t, passing, newly)
	}
}

// readPassing reads the passing file: one "key family" per line, "#"
// comments.
func readPassing(t *testing.T) map[string]bool {
	t.Helper()
	f, err := os.Open(passingFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

// writePassing rewrites the passing file with the new runs added, keeping
// its header comment.
func writePassing(t *testing.T, passing map[string]bool, newly []string) {
	t.Helper()
	b, err := os.ReadFile(passingFile)
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "#") {
			header = append(header, l)
		}
	}
	var keys []string
	for k := range passing {
		keys = append(keys, k)
	}
	keys = append(keys, newly...)
	sort.Strings(keys)
	out := strings.Join(append(header, keys...), "\n") + "\n"
	if err := os.WriteFile(passingFile, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("added %d runs to %s", len(newly), passingFile)
}
