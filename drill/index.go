package drill

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxScripts bounds how many scripts one directory walk returns.
const maxScripts = 100_000

// IndexFile is the name of a corpus index: tab-separated lines of path
// (relative to the file's directory), class, comma-separated features and
// summary, after a header line.
const IndexFile = "INDEX.tsv"

// FindScripts returns path itself if it is a file, else every *.pkt file
// below the directory path, sorted.
func FindScripts(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var out []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".pkt") {
			if len(out) == maxScripts {
				return fmt.Errorf("%s: more than %d scripts", path, maxScripts)
			}
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// Index is a corpus's INDEX.tsv.
type Index struct {
	// Root is the directory holding the index.
	Root string
	// Entries maps a script's path relative to Root (with forward
	// slashes) to its entry.
	Entries map[string]IndexEntry
}

// IndexEntry is one script's line of an index.
type IndexEntry struct {
	Class    string
	Features []string
	Summary  string
}

// LoadIndex reads root/INDEX.tsv.
func LoadIndex(root string) (*Index, error) {
	f, err := os.Open(filepath.Join(root, IndexFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ix := &Index{Root: root, Entries: map[string]IndexEntry{}}
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan(); n++ {
		cols := strings.Split(sc.Text(), "\t")
		if n == 0 || len(cols) < 3 {
			continue // the header, or a blank line
		}
		e := IndexEntry{Class: cols[1], Features: strings.Split(cols[2], ",")}
		if len(cols) > 3 {
			e.Summary = cols[3]
		}
		ix.Entries[cols[0]] = e
	}
	return ix, sc.Err()
}

// FindIndex looks for an INDEX.tsv in the directories above the script
// at path and returns it with the script's path relative to its root.
func FindIndex(path string) (*Index, string, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", false
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, IndexFile)); err == nil {
			ix, err := LoadIndex(dir)
			if err != nil {
				return nil, "", false
			}
			rel, err := filepath.Rel(dir, abs)
			if err != nil {
				return nil, "", false
			}
			return ix, filepath.ToSlash(rel), true
		}
		if filepath.Dir(dir) == dir {
			return nil, "", false
		}
	}
}

// HarnessOptions returns the options the corpus's own harness passed on
// the command line for the script rel (features "harness:name=value"),
// which override the script's.
func (ix *Index) HarnessOptions(rel string) []Option {
	var opts []Option
	for _, f := range ix.Entries[rel].Features {
		if v, ok := strings.CutPrefix(f, "harness:"); ok {
			name, value, _ := strings.Cut(v, "=")
			opts = append(opts, Option{Name: name, Value: value})
		}
	}
	return opts
}
