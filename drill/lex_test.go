package drill

import (
	"strings"
	"testing"
)

// kinds renders the tokens of src as "kind:text" for comparison.
func kinds(t *testing.T, src string) string {
	t.Helper()
	toks, err := lex("t.pkt", src)
	if err != nil {
		t.Fatalf("lex(%q): %v", src, err)
	}
	names := map[tokKind]string{tokNumber: "num", tokWord: "word", tokString: "str", tokCommand: "cmd",
		tokCode: "code", tokOption: "opt", tokEllipsis: "ell", tokPunct: "p", tokEOF: "eof"}
	var parts []string
	for _, tk := range toks {
		parts = append(parts, names[tk.kind]+":"+tk.text)
	}
	return strings.Join(parts, " ")
}

func TestLexTokens(t *testing.T) {
	tests := []struct{ src, want string }{
		{"+.1...0.200 read", "p:+ num:.1 ell:... num:0.200 word:read eof:"},
		{"+0...0.000", "p:+ num:0 ell:... num:0.000 eof:"},
		{"1:1001(1000)", "num:1 p:: num:1001 p:( num:1000 p:) eof:"},
		{"S. FP. . -", "word:S p:. word:FP p:. p:. p:- eof:"},
		{"0x800|O_RDWR", "num:0x800 p:| word:O_RDWR eof:"},
		{"= -1 EAGAIN (Try again)", "p:= p:- num:1 word:EAGAIN p:( word:Try word:again p:) eof:"},
		{"--tolerance_usecs=10000\n0", "opt:tolerance_usecs=10000 num:0 eof:"},
		{"`sysctl -q x=1\n y=2`", "cmd:sysctl -q x=1\n y=2 eof:"},
		{"%{ assert a == 1 }%", "code: assert a == 1  eof:"},
		{`"a\"b"`, `str:a"b eof:`},
		{"a // comment\n/* multi\nline */ b", "word:a word:b eof:"},
		{"*~<...>", "p:* p:~ p:< ell:... p:> eof:"},
		{"icmp unreachable frag_needed mtu 1000 [1:1461(1460)]",
			"word:icmp word:unreachable word:frag_needed word:mtu num:1000 p:[ num:1 p:: num:1461 p:( num:1460 p:) p:] eof:"},
	}
	for _, tt := range tests {
		if got := kinds(t, tt.src); got != tt.want {
			t.Errorf("lex(%q) = %s, want %s", tt.src, got, tt.want)
		}
	}
}

func TestLexLinesAndAdjacency(t *testing.T) {
	toks, err := lex("t.pkt", "a\n/* x\ny */\n`c\nd`\nS.")
	if err != nil {
		t.Fatal(err)
	}
	lines := []int{1, 4, 6, 6, 6}
	for i, want := range lines {
		if toks[i].line != want {
			t.Errorf("token %d (%v) on line %d, want %d", i, toks[i], toks[i].line, want)
		}
	}
	if toks[2].end != toks[3].pos {
		t.Errorf("S and . should be adjacent: %d, %d", toks[2].end, toks[3].pos)
	}
}

func TestLexErrors(t *testing.T) {
	for _, src := range []string{"# not a comment", "/* open", "`open", "%{ open", `"open`, "a @ b"} {
		_, err := lex("t.pkt", src)
		if _, ok := err.(*ParseError); !ok {
			t.Errorf("lex(%q) = %v, want a *ParseError", src, err)
		}
	}
	if _, err := lex("t.pkt", strings.Repeat(" ", MaxScriptSize+1)); err == nil {
		t.Error("an oversized script was accepted")
	}
}
