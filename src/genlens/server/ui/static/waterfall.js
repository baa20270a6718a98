// Trace waterfall: a virtualized, collapsible span tree on a shared time axis.
// Rows arrive in depth-first order with `end` = index past the subtree, so collapsing is a jump.
// Only the rows in view (plus a margin) are in the DOM, so 20,000 spans draw as fast as 50.
(function () {
  "use strict";
  var ROW = 24, OVERSCAN = 12;
  var D = JSON.parse(document.getElementById("trace-data").textContent);
  var C = {}; D.columns.forEach(function (c, i) { C[c] = i; });
  var rows = D.rows, n = rows.length, total = Math.max(1, D.duration_us);
  var collapsed = new Uint8Array(n), shown = new Uint8Array(n), visible = [], posOf = new Int32Array(n), sel = -1;
  var scroller = document.getElementById("wf-scroll"), spacer = document.getElementById("wf-spacer");
  var layer = document.getElementById("wf-rows"), tree = document.getElementById("waterfall");
  var panel = document.getElementById("span-panel");
  var tenantQs = D.tenant ? "&tenant=" + encodeURIComponent(D.tenant) : "";

  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function dur(us) {
    if (us >= 60e6) return (us / 60e6).toFixed(1) + " min";
    if (us >= 1e6) return (us / 1e6).toFixed(2) + " s";
    if (us >= 1e3) return Math.round(us / 1e3) + " ms";
    return Math.round(us) + " µs";
  }
  function usd(v) { return v ? (v < 0.0001 ? "$" + v.toFixed(6) : v < 0.01 ? "$" + v.toFixed(4) : "$" + v.toFixed(2)) : "–"; }
  function num(v) { return v >= 1e6 ? (v / 1e6).toFixed(1) + "M" : v >= 1e4 ? (v / 1e3).toFixed(1) + "k" : String(v); }
  function hasKids(i) { return rows[i][C.end] > i + 1; }

  function rebuild() {
    visible = [];
    shown.fill(0);
    for (var i = 0; i < n;) {
      posOf[i] = visible.length; visible.push(i); shown[i] = 1;
      i = collapsed[i] ? rows[i][C.end] : i + 1;
    }
    while (sel >= 0 && !shown[sel]) sel = rows[sel][C.parent];  // a folded-away selection moves to its ancestor
    spacer.style.height = visible.length * ROW + "px";
    render();
  }

  function rowHtml(i) {
    var r = rows[i], kind = r[C.kind], left = r[C.start_us] / total * 100, width = r[C.dur_us] / total * 100;
    var cls = "wf-bar k-" + kind + (r[C.critical] ? " crit" : "") + (i === D.slowest ? " slow" : "") + (r[C.status] === "error" ? " err" : "");
    var label = dur(r[C.dur_us]);
    var inside = width > 14, labelPos;
    if (inside) labelPos = "right:calc(" + (100 - left - width) + "% + 5px)";
    else if (left + width < 84) labelPos = "left:calc(" + (left + width) + "% + 6px)";
    else labelPos = "right:calc(" + (100 - left) + "% + 6px)";
    var tog = hasKids(i) ? (collapsed[i] ? "▸" : "▾") : "";
    var model = r[C.model] ? ' <span class="muted">' + esc(r[C.model]) + "</span>" : "";
    var roll = usd(r[C.sub_cost]) + " · " + num(r[C.sub_tokens]) + " tok · " + r[C.sub_llm] + " LLM";
    return '<div class="wf-row' + (i === sel ? " sel" : "") + '" role="treeitem" data-i="' + i + '" data-span="' + r[C.span_id] +
      '" data-depth="' + r[C.depth] + '" aria-expanded="' + (hasKids(i) ? !collapsed[i] : "") + '" aria-level="' + (r[C.depth] + 1) + '">' +
      '<div class="wf-name" style="padding-left:' + (6 + r[C.depth] * 14) + 'px" title="' + esc(r[C.name]) + '">' +
      '<span class="wf-tog" data-toggle="' + i + '">' + tog + '</span><span class="wf-kind k-' + kind + '">' + kind + "</span>" +
      esc(r[C.name]) + model + "</div>" +
      '<div class="wf-track"><div class="' + cls + '" style="left:' + left + "%;width:" + Math.max(width, 0.15) + '%"></div>' +
      '<span class="wf-bar-label' + (inside ? " inside" : "") + '" style="' + labelPos + '">' + label + "</span></div>" +
      '<div class="wf-roll">' + roll + "</div></div>";
  }

  function render() {
    var top = scroller.scrollTop, h = scroller.clientHeight || 600;
    var first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    var last = Math.min(visible.length, Math.ceil((top + h) / ROW) + OVERSCAN);
    var html = [];
    for (var p = first; p < last; p++) html.push(rowHtml(visible[p]));
    layer.style.transform = "translateY(" + first * ROW + "px)";
    layer.innerHTML = html.join("");
  }

  function axis() {
    var el = document.getElementById("wf-axis"), parts = [];
    for (var k = 0; k <= 4; k++) parts.push('<span style="left:' + k * 25 + '%">' + dur(total * k / 4) + "</span>");
    el.innerHTML = parts.join("");
  }

  function toggle(i, open) {
    if (!hasKids(i)) return;
    collapsed[i] = open === undefined ? (collapsed[i] ? 0 : 1) : (open ? 0 : 1);
    rebuild();
  }

  function reveal(i) {  // expand every ancestor of i
    for (var p = rows[i][C.parent]; p >= 0; p = rows[p][C.parent]) collapsed[p] = 0;
  }

  function select(i, open) {
    sel = i;
    var y = posOf[i] * ROW;
    if (y < scroller.scrollTop) scroller.scrollTop = y;
    else if (y + ROW > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = y + ROW - scroller.clientHeight;
    render();
    if (open) openSpan(i);
  }

  function openSpan(i) {
    var sid = rows[i][C.span_id];
    history.replaceState(null, "", "?span=" + sid + tenantQs);
    fetch("/traces/" + D.trace_id + "/spans/" + sid + "?partial=1" + tenantQs)
      .then(function (r) { return r.text().then(function (t) { return { ok: r.ok, t: t }; }); })
      .then(function (res) { panel.innerHTML = res.ok ? res.t : '<p class="badge err">Could not load the span.</p>'; })
      .catch(function () { panel.innerHTML = '<p class="badge err">Could not load the span.</p>'; });
  }

  scroller.addEventListener("scroll", function () { window.requestAnimationFrame(render); }, { passive: true });
  window.addEventListener("resize", render);
  layer.addEventListener("click", function (e) {
    var t = e.target.closest("[data-toggle]");
    if (t && t.textContent) { toggle(+t.dataset.toggle); tree.focus(); return; }
    var row = e.target.closest(".wf-row");
    if (row) { select(+row.dataset.i, true); tree.focus(); }
  });
  tree.addEventListener("keydown", function (e) {
    if (!n) return;
    var i = sel < 0 ? visible[0] : sel, p = posOf[i], key = e.key;
    if (key === "ArrowDown") select(visible[Math.min(visible.length - 1, sel < 0 ? 0 : p + 1)]);
    else if (key === "ArrowUp") select(visible[Math.max(0, p - 1)]);
    else if (key === "ArrowRight") { if (hasKids(i) && collapsed[i]) { toggle(i, true); select(i); } else if (hasKids(i)) select(i + 1); }
    else if (key === "ArrowLeft") { if (hasKids(i) && !collapsed[i]) { toggle(i, false); select(i); } else if (rows[i][C.parent] >= 0) select(rows[i][C.parent]); }
    else if (key === "Enter" || key === " ") openSpan(i);
    else if (key === "Home") select(visible[0]);
    else if (key === "End") select(visible[visible.length - 1]);
    else return;
    e.preventDefault();
  });
  document.getElementById("expand-all").addEventListener("click", function () { collapsed.fill(0); rebuild(); });
  document.getElementById("collapse-all").addEventListener("click", function () {
    for (var i = 0; i < n; i++) collapsed[i] = rows[i][C.depth] >= 1 && hasKids(i) ? 1 : 0;
    rebuild();
  });
  document.addEventListener("click", function (e) {
    var b = e.target.closest(".copy-link");
    if (!b) return;
    var url = location.origin + b.dataset.link;
    // The link is also shown (and kept on the button), in case the clipboard is not ours to write.
    b.textContent = "link copied"; b.dataset.copied = url; b.title = url;
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).catch(function () {});
    else { var t = document.createElement("textarea"); t.value = url; document.body.appendChild(t); t.select();
      try { document.execCommand("copy"); } catch (err) { /* the button keeps the link */ } t.remove(); }
  });

  axis();
  rebuild();
  if (D.selected) {
    for (var k = 0; k < n; k++) if (rows[k][C.span_id] === D.selected) { reveal(k); rebuild(); select(k); break; }
  }
  window.__waterfall = { rows: n, visible: function () { return visible.length; }, readyAt: performance.now() };
})();
