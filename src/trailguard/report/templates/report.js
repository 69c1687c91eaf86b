"use strict";
// trailguard reports: optional enhancements. The page is complete without them.
(function () {
  var STATES = ["ALARM", "OK", "INSUFFICIENT_DATA"];

  function utc(ms) {
    return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  }

  // A readout under each timeline: the time, the alarm's value and its state at the pointer. It reads the
  // chart's own data block (JSON, never executed) and writes text only.
  function readout(figure) {
    var svg = figure.querySelector("svg");
    var block = figure.querySelector("script.tg-hover");
    var out = figure.querySelector("output.readout");
    if (!svg || !block || !out) return;
    var data;
    try {
      data = JSON.parse(block.textContent);
    } catch (error) {
      return;
    }
    var cursor = svg.querySelector(".cursor");
    var width = Number(svg.getAttribute("data-width"));
    var left = Number(svg.getAttribute("data-left"));
    var right = Number(svg.getAttribute("data-right"));
    var n = data.values.length;
    function hide() {
      out.textContent = "";
      if (cursor) cursor.setAttribute("visibility", "hidden");
    }
    svg.addEventListener("pointermove", function (event) {
      var box = svg.getBoundingClientRect();
      var x = ((event.clientX - box.left) / box.width) * width;
      if (!(x >= left && x < right) || n === 0) return hide();
      var i = Math.min(n - 1, Math.floor(((x - left) / (right - left)) * n));
      var from = data.t0 + ((data.t1 - data.t0) * i) / n;
      var to = data.t0 + ((data.t1 - data.t0) * (i + 1)) / n;
      var v = data.values[i];
      var value = v === null ? "no data" : v[0] === v[1] ? String(v[1]) : v[0] + " to " + v[1];
      var shares = (data.shares[i] || []).map(function (share, k) {
        return share > 0 ? STATES[k] + (share < 100 ? " " + share + " %" : "") : null;
      }).filter(Boolean);
      out.textContent = utc(from) + " – " + utc(to) + " UTC · " + data.statistic + ": " + value +
        (shares.length ? " · " + shares.join(", ") : "");
      out.setAttribute("aria-label", data.alarm + ": " + out.textContent);
      if (cursor) {
        cursor.setAttribute("x1", String(x));
        cursor.setAttribute("x2", String(x));
        cursor.setAttribute("visibility", "visible");
      }
    });
    svg.addEventListener("pointerleave", hide);
  }

  Array.prototype.forEach.call(document.querySelectorAll("figure.timeline"), readout);

  // On paper every folded section is shown: notification bodies and witness events are evidence.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details:not([open])"), function (details) {
      details.open = true;
      opened.push(details);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (details) { details.open = false; });
    opened = [];
  });
})();
