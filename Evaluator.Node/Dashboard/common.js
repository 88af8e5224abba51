// Shared helpers of the dashboard pages (plain browser JavaScript, no build step).
'use strict';

window.Evaluator = (function () {
  const DASH = '\u2013'; // en dash for a missing value (a class without IoU)

  /** A metric in [0, 1] with 4 decimals, or an en dash for null/NaN. */
  function metric(v) {
    return typeof v === 'number' && isFinite(v) ? v.toFixed(4) : DASH;
  }

  /** An integer with thousands separators. */
  function int(n) {
    return typeof n === 'number' && isFinite(n) ? Math.round(n).toLocaleString('en-US') : DASH;
  }

  /** A count in short form: 950, 12.3k, 4.56M, 1.20G. */
  function compact(n) {
    if (typeof n !== 'number' || !isFinite(n)) return DASH;
    const a = Math.abs(n);
    const units = [[1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
    for (const [size, suffix] of units) {
      if (a >= size) {
        const v = n / size;
        return (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)) + suffix;
      }
    }
    return String(Math.round(n));
  }

  function percent(v, digits) {
    return typeof v === 'number' && isFinite(v) ? (v * 100).toFixed(digits === undefined ? 1 : digits) + '%' : DASH;
  }

  /** Creates an element; text goes through textContent (names and ids are never parsed as HTML). */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k === 'class') e.className = v;
      else if (k === 'style') e.setAttribute('style', v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  function svg(tag, attrs, ...children) {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children.flat()) if (c) e.appendChild(c);
    return e;
  }

  function setStatus(node, status) {
    node.textContent = status || DASH;
    node.className = 'badge ' + (status || '');
  }

  /** Red (0) to green (1) for an IoU-like value. */
  function scoreColour(v) {
    const h = Math.max(0, Math.min(1, v)) * 125;
    return `hsl(${h.toFixed(0)}, 58%, 44%)`;
  }

  /** The Blues ramp for v in [0, 1], as [r, g, b]. */
  const BLUES = [[247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]];
  function blues(v) {
    const x = Math.max(0, Math.min(1, v)) * (BLUES.length - 1);
    const i = Math.min(BLUES.length - 2, Math.floor(x));
    const t = x - i;
    return BLUES[i].map((c, k) => Math.round(c + (BLUES[i + 1][k] - c) * t));
  }

  return { DASH, metric, int, compact, percent, el, svg, setStatus, scoreColour, blues };
})();
