package drill

import (
	"fmt"
	"strconv"
	"strings"
)

// evalInt evaluates an integer argument: a number, a Linux symbol, or an
// or of those.
func evalInt(e Expr) (int64, error) {
	switch e.Kind {
	case ExprInt:
		return e.Int, nil
	case ExprSymbol:
		if v, ok := linuxSymbols[e.Name]; ok {
			return v, nil
		}
		return 0, fmt.Errorf("unknown symbol %s", e.Name)
	case ExprOr:
		var v int64
		for _, x := range e.Elems {
			w, err := evalInt(x)
			if err != nil {
				return 0, err
			}
			v |= w
		}
		return v, nil
	}
	return 0, fmt.Errorf("expected an integer, found %s", formatExpr(e))
}

// evalPointed evaluates "[N]", a pointer to one integer.
func evalPointed(e Expr) (int64, error) {
	if e.Kind != ExprList || len(e.Elems) != 1 {
		return 0, fmt.Errorf("expected [value], found %s", formatExpr(e))
	}
	return evalInt(e.Elems[0])
}

// field returns the value of the struct field name.
func field(e Expr, name string) (Expr, bool) {
	for _, f := range e.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return Expr{}, false
}

// formatExpr renders an argument as scripts write it.
func formatExpr(e Expr) string {
	switch e.Kind {
	case ExprInt:
		return strconv.FormatInt(e.Int, 10)
	case ExprSymbol:
		return e.Name
	case ExprEllipsis:
		return "..."
	case ExprString:
		return strconv.Quote(e.Name)
	case ExprList:
		return "[" + formatExprs(e.Elems) + "]"
	case ExprOr:
		parts := make([]string, len(e.Elems))
		for i, x := range e.Elems {
			parts[i] = formatExpr(x)
		}
		return strings.Join(parts, "|")
	case ExprCall:
		return e.Name + "(" + formatExprs(e.Elems) + ")"
	case ExprStruct:
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			switch {
			case f.Name == "":
				parts[i] = formatExpr(f.Value)
			case f.Arg != nil:
				parts[i] = f.Name + "(" + formatExprs(f.Arg) + ")=" + formatExpr(f.Value)
			default:
				parts[i] = f.Name + "=" + formatExpr(f.Value)
			}
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "?"
}

func formatExprs(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = formatExpr(e)
	}
	return strings.Join(parts, ", ")
}
