/**
 * The HTML report's one script: the time cursor. It reads each run's cursor data (see
 * cursor.ts), and as the reader steps through the diagram (buttons, the slider, the arrow keys,
 * or a click on a step) it marks the step, dims the memory ranges that do not exist yet or any
 * more, writes each frame's lock count at that instant, moves a line across the lock chart and
 * lists what is pending. Inline, and allowed by the page's Content-Security-Policy by its hash
 * alone: the report still loads nothing.
 */
import { createHash } from "node:crypto";

/** Plain ES2017, no library: it runs in any current browser from a file:// URL. */
export const CURSOR_SCRIPT = `(function () {
  "use strict";
  var hexFrame = function (f) { return "0x" + f.toString(16).toUpperCase(); };
  var msText = function (t) { return (t / 10000).toFixed(3) + " ms"; };
  var sections = document.querySelectorAll("section.run");
  Array.prototype.forEach.call(sections, function (section) {
    var dataEl = section.querySelector("script.cursor-data");
    if (!dataEl) return;
    var data = JSON.parse(dataEl.textContent);
    var rows = data.rows, states = data.states;
    var bar = section.querySelector(".cursor");
    if (!bar || rows.length === 0) return;
    var seq = section.querySelector("svg.sequence");
    var band = seq ? seq.querySelector("rect.cursor-row") : null;
    var steps = {};
    if (seq) Array.prototype.forEach.call(seq.querySelectorAll("[data-step]"), function (g) { steps[g.getAttribute("data-step")] = g; });
    var slider = bar.querySelector("input.cursor-range");
    var field = function (name) { return section.querySelector("[data-cursor=" + name + "]"); };
    var ranges = section.querySelectorAll("svg.memory-map [data-range]");
    var frames = section.querySelectorAll("svg.memory-map g.frame");
    var chart = section.querySelector("svg.lock-chart");
    var line = chart ? chart.querySelector("line.cursor") : null;
    var at = -1;
    var current = null;
    var fill = function (el, items, none) {
      if (!el) return;
      while (el.firstChild) el.removeChild(el.firstChild);
      var list = items.length ? items : [none];
      list.forEach(function (t) {
        var li = document.createElement("li");
        li.textContent = t;
        if (!items.length) li.className = "none";
        el.appendChild(li);
      });
    };
    var label = function (k) {
      var g = steps[String(k)];
      var title = g ? g.querySelector("title") : null;
      var text = title ? title.textContent : "";
      var colon = text.indexOf(": ");
      return colon >= 0 ? text.slice(colon + 2) : text;
    };
    var show = function (k, scroll) {
      at = Math.max(0, Math.min(rows.length - 1, k));
      var row = rows[at];
      var st = states[row[0]];
      section.classList.add("cursor-on");
      slider.value = String(at);
      field("step").textContent = "step " + (at + 1) + " of " + rows.length;
      field("time").textContent = msText(row[1]);
      field("what").textContent = label(at) + (row[2] ? "  (first run of the loop: " + row[2] + ")" : "");
      field("locked").textContent = st.locked;
      fill(field("irps"), st.irps, "no request in flight");
      fill(field("timers"), st.timers, "no timer armed");
      fill(field("waits"), st.waits, "no thread waiting");
      if (current) current.classList.remove("current");
      current = steps[String(at)] || null;
      if (current) {
        current.classList.add("current");
        if (band) {
          band.setAttribute("y", current.getAttribute("data-y"));
          band.setAttribute("height", current.getAttribute("data-h"));
          band.setAttribute("opacity", "0.45");
        }
        if (scroll) {
          // Into view below the cursor's bar, which stays at the top of the window.
          var r = current.getBoundingClientRect();
          var top = bar.getBoundingClientRect().bottom + 12;
          if (r.top < top) window.scrollBy(0, r.top - top);
          else if (r.bottom > window.innerHeight - 12) window.scrollBy(0, Math.min(r.top - top, r.bottom - window.innerHeight + 12));
        }
      }
      var present = {};
      st.ranges.forEach(function (i) { present[String(i)] = true; });
      Array.prototype.forEach.call(ranges, function (g) { g.classList.toggle("absent", !present[g.getAttribute("data-range")]); });
      var locks = {};
      st.locks.forEach(function (p) { locks[String(p[0])] = p[1]; });
      Array.prototype.forEach.call(frames, function (g) {
        var f = Number(g.getAttribute("data-pfn"));
        var c = locks[String(f)] || 0;
        var text = g.querySelector("text.frame-label");
        if (text) text.textContent = "PFN " + hexFrame(f) + (c > 0 ? "  locked ×" + c : "  not locked");
        var rect = g.querySelector("rect");
        if (rect) rect.classList.toggle("locked", c > 0);
        g.classList.toggle("unlocked", c === 0);
      });
      if (line && chart) {
        var t0 = Number(chart.getAttribute("data-t0")), t1 = Number(chart.getAttribute("data-t1"));
        var x = Number(chart.getAttribute("data-x0")) + ((row[1] - t0) / Math.max(1, t1 - t0)) * Number(chart.getAttribute("data-w"));
        line.setAttribute("x1", String(x));
        line.setAttribute("x2", String(x));
        line.setAttribute("visibility", "visible");
      }
    };
    var off = function () {
      at = -1;
      section.classList.remove("cursor-on");
      if (current) current.classList.remove("current");
      current = null;
      if (band) band.setAttribute("opacity", "0");
      if (line) line.setAttribute("visibility", "hidden");
      Array.prototype.forEach.call(ranges, function (g) { g.classList.remove("absent"); });
      field("step").textContent = "the whole run";
      field("time").textContent = "";
      field("what").textContent = "Step through the run: the diagram, the memory map and the lists below follow the cursor.";
    };
    var move = function (d) { show(at < 0 ? (d > 0 ? 0 : rows.length - 1) : at + d, true); };
    var on = function (action, fn) {
      var b = bar.querySelector("[data-action=" + action + "]");
      if (b) b.addEventListener("click", fn);
    };
    on("first", function () { show(0, true); });
    on("back", function () { move(-1); });
    on("forward", function () { move(1); });
    on("last", function () { show(rows.length - 1, true); });
    on("off", off);
    slider.addEventListener("input", function () { show(Number(slider.value), true); });
    bar.addEventListener("keydown", function (ev) {
      if (ev.target === slider) return;
      var k = ev.key;
      if (k === "ArrowRight" || k === "ArrowDown") move(1);
      else if (k === "ArrowLeft" || k === "ArrowUp") move(-1);
      else if (k === "PageDown") move(10);
      else if (k === "PageUp") move(-10);
      else if (k === "Home") show(0, true);
      else if (k === "End") show(rows.length - 1, true);
      else if (k === "Escape") off();
      else return;
      ev.preventDefault();
    });
    Object.keys(steps).forEach(function (k) {
      steps[k].addEventListener("click", function () { show(Number(k), false); });
    });
    off();
  });
})();`;

/** The script's Content-Security-Policy source ('sha256-…'): the only script the page may run. */
export const CURSOR_SCRIPT_HASH = `'sha256-${createHash("sha256").update(CURSOR_SCRIPT, "utf8").digest("base64")}'`;
