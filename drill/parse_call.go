package drill

import "math"

// maxArgs bounds the elements of one argument list, list or struct;
// maxLookahead bounds how far the parser looks ahead for "name(...)=".
const (
	maxArgs      = 64
	maxLookahead = 256
)

// syscall := name '(' [expr {',' expr}] ')' '=' result [ERRNO] [note]
func (p *parser) syscall() (*Syscall, error) {
	name := p.next()
	c := &Syscall{Name: name.text}
	p.next() // '('
	args, err := p.exprList(")")
	if err != nil {
		return nil, err
	}
	c.Args = args
	if _, err := p.expect("=", "before the result of "+c.Name); err != nil {
		return nil, err
	}
	if c.Result, err = p.result(); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tokWord {
		p.next()
		c.Errno = t.text
	}
	if p.peek().is("(") {
		if err := p.note(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// result reads the expected return value: an integer, possibly negative.
func (p *parser) result() (int64, error) {
	neg := p.peek().is("-")
	if neg {
		p.next()
	}
	v, err := p.number(math.MaxInt32, "return value")
	if err != nil {
		return 0, err
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

// note skips a parenthesised note such as "(Broken pipe)"; its words are
// only for the reader.
func (p *parser) note() error {
	open := p.next()
	depth := 1
	for depth > 0 {
		t := p.next()
		switch {
		case t.kind == tokEOF:
			return p.errorf(open, "unterminated note")
		case t.is("("):
			depth++
		case t.is(")"):
			depth--
		}
	}
	return nil
}

// exprList reads expressions separated by commas up to the closing
// punctuation, which it consumes. An empty list is allowed.
func (p *parser) exprList(closing string) ([]Expr, error) {
	var list []Expr
	if p.peek().is(closing) {
		p.next()
		return list, nil
	}
	for {
		if len(list) == maxArgs {
			return nil, p.errorf(p.peek(), "more than %d elements", maxArgs)
		}
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		t := p.next()
		if t.is(closing) {
			return list, nil
		}
		if !t.is(",") {
			return nil, p.errorf(t, "expected \",\" or %q, found %v", closing, t)
		}
	}
}

// expr := unary {'|' unary}
func (p *parser) expr() (Expr, error) {
	if p.depth >= maxDepth {
		return Expr{}, p.errorf(p.peek(), "arguments nested more than %d deep", maxDepth)
	}
	p.depth++
	defer func() { p.depth-- }()
	e, err := p.unary()
	if err != nil || !p.peek().is("|") {
		return e, err
	}
	or := Expr{Kind: ExprOr, Elems: []Expr{e}}
	for p.peek().is("|") {
		p.next()
		if len(or.Elems) == maxArgs {
			return Expr{}, p.errorf(p.peek(), "more than %d operands", maxArgs)
		}
		e, err := p.unary()
		if err != nil {
			return Expr{}, err
		}
		or.Elems = append(or.Elems, e)
	}
	return or, nil
}

// unary := ['-'] NUMBER | WORD ['(' args ')'] | '...' | STRING
//
//	| '[' args ']' | '{' fields '}'
func (p *parser) unary() (Expr, error) {
	t := p.next()
	switch {
	case t.kind == tokNumber || t.is("-"):
		neg := t.is("-")
		if neg {
			t = p.next()
		}
		if t.kind != tokNumber {
			return Expr{}, p.errorf(t, "expected a number, found %v", t)
		}
		v, err := parseUint(t.text)
		if err != nil || v > math.MaxInt64 {
			return Expr{}, p.errorf(t, "bad integer %q", t.text)
		}
		if neg {
			return Expr{Kind: ExprInt, Int: -int64(v)}, nil
		}
		return Expr{Kind: ExprInt, Int: int64(v)}, nil
	case t.kind == tokWord && p.peek().is("("):
		p.next()
		args, err := p.exprList(")")
		return Expr{Kind: ExprCall, Name: t.text, Elems: args}, err
	case t.kind == tokWord:
		return Expr{Kind: ExprSymbol, Name: t.text}, nil
	case t.kind == tokEllipsis:
		return Expr{Kind: ExprEllipsis}, nil
	case t.kind == tokString:
		return Expr{Kind: ExprString, Name: t.text}, nil
	case t.is("["):
		elems, err := p.exprList("]")
		return Expr{Kind: ExprList, Elems: elems}, err
	case t.is("{"):
		return p.structExpr()
	}
	return Expr{}, p.errorf(t, "expected an argument, found %v", t)
}

// structExpr reads the fields of "{...}" after the brace:
// name=value, name(args)=value or a bare value.
func (p *parser) structExpr() (Expr, error) {
	s := Expr{Kind: ExprStruct}
	if p.peek().is("}") {
		p.next()
		return s, nil
	}
	for {
		if len(s.Fields) == maxArgs {
			return Expr{}, p.errorf(p.peek(), "more than %d fields", maxArgs)
		}
		f, err := p.field()
		if err != nil {
			return Expr{}, err
		}
		s.Fields = append(s.Fields, f)
		t := p.next()
		if t.is("}") {
			return s, nil
		}
		if !t.is(",") {
			return Expr{}, p.errorf(t, "expected \",\" or \"}\", found %v", t)
		}
	}
}

// field reads one struct field.
func (p *parser) field() (Field, error) {
	t := p.peek()
	if t.kind == tokWord && p.peekAt(1).is("=") {
		p.next()
		p.next()
		v, err := p.expr()
		return Field{Name: t.text, Value: v}, err
	}
	if t.kind == tokWord && p.peekAt(1).is("(") && p.closesThenEquals(1) {
		p.next()
		p.next()
		args, err := p.exprList(")")
		if err != nil {
			return Field{}, err
		}
		p.next() // '='
		v, err := p.expr()
		return Field{Name: t.text, Arg: args, Value: v}, err
	}
	v, err := p.expr()
	return Field{Value: v}, err
}

// closesThenEquals reports whether the parenthesis at offset n from the
// current token is closed by a ')' directly followed by '='.
func (p *parser) closesThenEquals(n int) bool {
	depth := 0
	for j := p.i + n; j < len(p.toks) && j < p.i+n+maxLookahead; j++ {
		switch t := p.toks[j]; {
		case t.kind == tokEOF:
			return false
		case t.is("("):
			depth++
		case t.is(")"):
			depth--
			if depth == 0 {
				return j+1 < len(p.toks) && p.toks[j+1].is("=")
			}
		}
	}
	return false
}
