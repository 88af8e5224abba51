// Two runs compared: GET /compare?a=RUN&b=RUN (the same query string as this page's).
'use strict';

(function () {
  const E = window.Evaluator;
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  $('run-a').textContent = params.get('a') || '?';
  $('run-b').textContent = params.get('b') || '?';
  document.title = `Evaluator · ${params.get('b')} − ${params.get('a')}`;

  function signed(v) {
    return typeof v === 'number' && isFinite(v) ? (v > 0 ? '+' : '') + v.toFixed(4) : E.DASH;
  }

  async function load() {
    try {
      const res = await fetch('/compare' + location.search, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      const body = await res.json();
      if (!res.ok) {
        E.setStatus($('status'), 'failed');
        const p = $('problem');
        p.textContent = `${body.title || res.status}: ${body.detail || ''}`;
        p.classList.remove('hidden');
        return;
      }
      render(body);
      E.setStatus($('status'), 'completed');
    } catch (e) {
      E.setStatus($('status'), 'failed');
      $('problem').textContent = `could not load the comparison: ${e}`;
      $('problem').classList.remove('hidden');
    }
  }

  function render(c) {
    $('mean-iou-a').textContent = E.metric(c.mean_iou_a);
    $('mean-iou-b').textContent = E.metric(c.mean_iou_b);
    $('delta').textContent = signed(c.delta);
    $('images').textContent = E.int(c.images);
    if (c.bootstrap) {
      const level = +(c.bootstrap.confidence * 100).toFixed(3);
      $('ci-label').textContent = `${level} % interval`;
      $('delta-ci').textContent = `${signed(c.delta_low)} – ${signed(c.delta_high)}`;
      $('p-value').textContent = typeof c.p_value === 'number' ? c.p_value.toPrecision(3) : E.DASH;
      $('bootstrap-note').textContent =
        `paired bootstrap: ${c.bootstrap.resamples} resamples of the images, seed ${c.bootstrap.seed}, percentile intervals`;
    } else {
      $('bootstrap-note').textContent = 'no bootstrap (bootstrap=0): point values only';
    }
    bars(c.per_class.filter((k) => typeof k.delta === 'number'));
    images($('worse'), c.images_most_worse);
    images($('better'), c.images_most_better);
  }

  /** One horizontal bar per class from 0 to its delta, and a whisker from low to high. */
  function bars(classes) {
    const svg = $('bars');
    const row = 22, left = 170, right = 60, top = 24, width = 900;
    const height = top + row * classes.length + 10;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('height', String(height));
    svg.replaceChildren();
    let extent = 0;
    for (const k of classes) {
      extent = Math.max(extent, Math.abs(k.delta));
      if (typeof k.low === 'number') extent = Math.max(extent, Math.abs(k.low), Math.abs(k.high));
    }
    extent = extent > 0 ? extent * 1.05 : 1;
    const x = (v) => left + ((v + extent) / (2 * extent)) * (width - left - right);
    svg.appendChild(E.svg('line', { class: 'axis', x1: x(0), x2: x(0), y1: top - 6, y2: height - 6 }));
    svg.appendChild(E.svg('text', { x: x(-extent), y: 14, text: signed(-extent) }));
    svg.appendChild(E.svg('text', { x: x(extent) - 50, y: 14, text: signed(extent) }));
    let whiskers = 0;
    classes.forEach((k, i) => {
      const y = top + i * row;
      const x0 = Math.min(x(0), x(k.delta)), x1 = Math.max(x(0), x(k.delta));
      svg.appendChild(E.svg('text', { x: 4, y: y + 14, text: `${k.id} ${k.name}` }));
      svg.appendChild(E.svg('rect', {
        class: 'delta-bar', x: x0, y: y + 3, width: Math.max(1, x1 - x0), height: row - 8,
        fill: k.delta >= 0 ? 'var(--ok)' : 'var(--bad)', 'data-class': k.id, 'data-delta': k.delta,
      }));
      if (typeof k.low === 'number' && typeof k.high === 'number') {
        const mid = y + row / 2 - 1;
        svg.appendChild(E.svg('line', {
          class: 'whisker', x1: x(k.low), x2: x(k.high), y1: mid, y2: mid, stroke: 'var(--ink)', 'stroke-width': 1.5,
          'data-class': k.id, 'data-low': k.low, 'data-high': k.high,
        }));
        for (const v of [k.low, k.high]) {
          svg.appendChild(E.svg('line', { x1: x(v), x2: x(v), y1: mid - 5, y2: mid + 5, stroke: 'var(--ink)', 'stroke-width': 1.5 }));
        }
        whiskers++;
      }
      svg.appendChild(E.svg('text', { x: width - right + 6, y: y + 14, text: signed(k.delta) }));
    });
    svg.setAttribute('data-bars', String(classes.length));
    svg.setAttribute('data-whiskers', String(whiskers));
  }

  function images(table, list) {
    const body = table.querySelector('tbody');
    body.replaceChildren(...(list || []).map((i) => E.el('tr', {},
      E.el('td', { class: 'name', text: i.image, title: i.image }),
      E.el('td', { class: 'num', text: E.metric(i.mean_iou_a) }),
      E.el('td', { class: 'num', text: E.metric(i.mean_iou_b) }),
      E.el('td', { class: 'num', text: signed(i.delta) }))));
    if (!list || list.length === 0) body.appendChild(E.el('tr', {}, E.el('td', { class: 'muted', colspan: 4, text: 'none' })));
  }

  load();
})();
