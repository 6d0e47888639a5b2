// The interaction of synack's HTML ladder: hovering over a segment's arrow
// shows all its fields beside the diagram, clicking (or Enter) pins them.
// The fields come from the ladder's JSON layout embedded in the page.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ladder-data").textContent);
  var panel = document.getElementById("fields");
  var hint = document.getElementById("hint");
  var pinned = null;

  function seconds(t) {
    return t === null ? "\u2014" : t.toFixed(6) + " s";
  }

  function fate(s) {
    if (s.lost) return ["lost in the network", "fate-lost"];
    if (s.droppedBy) return ["dropped by the receiver: " + s.droppedBy, "fate-lost"];
    if (s.duplicate) return ["a copy the network made (duplicate)", "fate-dup"];
    return ["delivered", ""];
  }

  function entries(i, s) {
    var from = data.hosts[s.from], to = data.hosts[1 - s.from];
    var f = fate(s);
    var flight = s.sent !== null && s.received !== null ? ((s.received - s.sent) * 1000).toFixed(3) + " ms" : "\u2014";
    return [
      ["segment", "#" + i],
      ["from", from.name + " " + from.addr],
      ["to", to.name + " " + to.addr],
      ["sent", seconds(s.sent)],
      ["received", seconds(s.received)],
      ["in flight", flight],
      ["fate", f[0], f[1]],
      ["retransmission", s.retransmission ? "yes" : "no", s.retransmission ? "fate-retx" : ""],
      ["flags", s.flags],
      ["seq", s.relSeq + " (relative), " + s.seq + " (absolute)"],
      ["ack", s.flags.split(",").indexOf("ACK") < 0 ? "\u2014 (no ACK flag; the field holds " + s.ack + ")" :
        s.relAck + " (relative), " + s.ack + " (absolute)"],
      ["len", String(s.len)],
      ["window", s.window + " bytes (win " + s.win + " \u00d7 2^" + s.winScale + ")"],
      ["options", s.optionsText || "none"],
      ["label", s.label]
    ];
  }

  function show(i) {
    var s = data.segments[i];
    panel.textContent = "";
    entries(i, s).forEach(function (e) {
      var dt = document.createElement("dt");
      var dd = document.createElement("dd");
      dt.textContent = e[0];
      dd.textContent = e[1];
      if (e[2]) dd.className = e[2];
      panel.appendChild(dt);
      panel.appendChild(dd);
    });
    var raw = document.createElement("pre");
    raw.className = "raw";
    raw.textContent = JSON.stringify(s, null, 1);
    var dd = document.createElement("dd");
    var dt = document.createElement("dt");
    dt.textContent = "JSON";
    dd.appendChild(raw);
    panel.appendChild(dt);
    panel.appendChild(dd);
    hint.hidden = true;
  }

  function clear() {
    panel.textContent = "";
    hint.hidden = false;
  }

  function select(g) {
    document.querySelectorAll(".ladder .seg.selected").forEach(function (o) {
      o.classList.remove("selected");
    });
    if (g) g.classList.add("selected");
  }

  document.querySelectorAll(".ladder .seg").forEach(function (g) {
    var i = Number(g.getAttribute("data-seg"));
    g.addEventListener("mouseenter", function () {
      if (pinned === null) show(i);
    });
    g.addEventListener("mouseleave", function () {
      if (pinned === null) clear();
    });
    function pin() {
      pinned = pinned === i ? null : i;
      select(pinned === null ? null : g);
      if (pinned === null) clear(); else show(i);
    }
    g.addEventListener("click", pin);
    g.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        pin();
      }
    });
  });
})();
