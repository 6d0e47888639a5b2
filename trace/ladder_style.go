package trace

// phaseColors are the colours of the phases of a connection (see Phase),
// shared by the SVG ladder, the state diagram and the HTML page's key,
// for the elements under root. Every rule of the diagrams' style sheets is
// scoped to its diagram, so that the two can share a page.
func phaseColors(root string) string {
	return root + " .opening{fill:#1a73e8}\n" +
		root + " .established{fill:#188038}\n" +
		root + " .closing{fill:#e37400}\n" +
		root + " .time-wait{fill:#9334e6}\n" +
		root + " .closed{fill:#80868b}\n"
}

// ladderSVGStyle is the style sheet inside every SVG ladder. It names
// only generic font families, so that nothing is fetched.
var ladderSVGStyle = phaseColors("svg.ladder") + `
svg.ladder .page{fill:#fff}
svg.ladder text{font-family:sans-serif;font-size:12px;fill:#202124}
svg.ladder .host{font-size:15px;font-weight:bold;text-anchor:middle}
svg.ladder .addr{font-family:monospace;font-size:11px;fill:#5f6368;text-anchor:middle}
svg.ladder .time{font-family:monospace;font-size:10px;fill:#5f6368;text-anchor:end}
svg.ladder .lifeline{stroke:#c0c4c8;stroke-width:1}
svg.ladder .band{opacity:.85}
svg.ladder .state{font-weight:bold}
svg.ladder .cause{font-size:10px;fill:#5f6368}
svg.ladder .note .cause{font-style:italic}
svg.ladder .seg .shaft{stroke:#202124;stroke-width:1.3}
svg.ladder .seg .hit{stroke:transparent;stroke-width:14;pointer-events:stroke}
svg.ladder .seg .head{fill:#202124}
svg.ladder .seg .label{font-family:monospace;font-size:11px;text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg.ladder .seg.lost .shaft,svg.ladder .seg .x{stroke:#d93025;stroke-width:1.6}
svg.ladder .seg.lost .label{fill:#d93025}
svg.ladder .seg.retx .shaft{stroke:#00897b;stroke-dasharray:7 3}
svg.ladder .seg.retx .head{fill:#00897b}
svg.ladder .seg.retx .label{fill:#00695c}
svg.ladder .seg.dup .shaft{stroke:#d01884;stroke-dasharray:2 3}
svg.ladder .seg.dup .head{fill:#d01884}
svg.ladder .seg.dup .label{fill:#a0146a}
svg.ladder .seg .bar{stroke:#d93025;stroke-width:2.5}
svg.ladder .seg:hover .shaft,svg.ladder .seg:focus .shaft,svg.ladder .seg.selected .shaft{stroke-width:3}
svg.ladder .seg:focus{outline:none}
svg.ladder .seg.selected .label{font-weight:bold}
svg.ladder .timer circle{fill:#fff;stroke:#007b83;stroke-width:2}
svg.ladder .timer text{font-size:11px;fill:#007b83}
svg.ladder .drop{font-size:11px;fill:#d93025}
svg.ladder .break rect{fill:#fff}
svg.ladder .break path{stroke:#5f6368;stroke-width:1.5;fill:none}
svg.ladder .break text{font-size:11px;fill:#5f6368;text-anchor:end;font-style:italic}
`

// stateDiagramStyle is the style sheet inside every state diagram.
var stateDiagramStyle = phaseColors("svg.states") + `
svg.states .page{fill:#fff}
svg.states text{font-family:sans-serif;font-size:12px;fill:#202124}
svg.states .heading{font-size:16px;font-weight:bold}
svg.states .box{fill-opacity:.13;stroke:#5f6368;stroke-width:1.2}
svg.states .node text{text-anchor:middle;font-weight:bold;font-size:12px}
svg.states .arc path{fill:none;stroke:#bdc1c6;stroke-width:1.2}
svg.states .arc polygon{fill:#bdc1c6}
svg.states .arc.extra path{stroke-dasharray:5 3}
svg.states .path path{fill:none;stroke-width:2.6;opacity:.9}
svg.states .side0 path{stroke:#d01884}.side0 polygon,.side0 circle{fill:#d01884}
svg.states .side1 path{stroke:#007b83}.side1 polygon,.side1 circle{fill:#007b83}
svg.states .step text{fill:#fff;font-size:11px;font-weight:bold;text-anchor:middle}
svg.states .legend text{font-size:11px}
svg.states .legend .who{font-size:13px;font-weight:bold}
svg.states .side0 .who,svg.states .side0 .n{fill:#d01884}
svg.states .side1 .who,svg.states .side1 .n{fill:#007b83}
svg.states .legend .n{font-weight:bold}
svg.states .legend .why{fill:#5f6368}
`
