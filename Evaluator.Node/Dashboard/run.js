// One run, live: the snapshots of GET /runs/{id}/events (events "snapshot" and "final").
'use strict';

(function () {
  const E = window.Evaluator;
  const $ = (id) => document.getElementById(id);

  const runId = decodeURIComponent(location.pathname.replace(/^\/runs\//, '').replace(/\/+$/, ''));
  const base = '/runs/' + encodeURIComponent(runId);
  document.title = `Evaluator · ${runId}`;
  $('run-id').textContent = runId;

  const points = []; // one per snapshot: { x: pixels counted, y: mean IoU, n: snapshot number }
  let lastNumber = -1;
  let latest = null;
  let source = null;
  let finished = false;

  // ---- the stream ------------------------------------------------------------------------

  function connect() {
    setConn('connecting…', '');
    source = new EventSource(base + '/events');
    source.onopen = () => setConn('live', 'live');
    source.addEventListener('snapshot', (e) => onSnapshot(e));
    source.addEventListener('final', (e) => {
      finished = true;
      source.close(); // the server closes the stream after the final snapshot: do not reconnect
      onSnapshot(e);
      setConn('final', '');
    });
    source.onerror = () => {
      if (finished) return;
      if (source.readyState === EventSource.CLOSED) {
        // EventSource gives up on a non-200 answer (an unknown run is a 404): find out why, retry later.
        setConn('disconnected', 'down');
        explainFailure();
        setTimeout(() => { if (!finished) connect(); }, 5000);
      } else {
        setConn('reconnecting…', 'down');
      }
    };
  }

  async function explainFailure() {
    try {
      const res = await fetch(base + '/snapshot', { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (res.status === 404) {
        E.setStatus($('status'), 'unknown');
        showProblem(`Run '${runId}' is not known to this node.`);
      }
      else if (!res.ok) showProblem(`The node answered HTTP ${res.status}; retrying.`);
    } catch (e) {
      showProblem(`The node is unreachable (${e.message}); retrying.`);
    }
  }

  function onSnapshot(e) {
    let s;
    try {
      s = JSON.parse(e.data);
    } catch (err) {
      showProblem('A snapshot could not be read: ' + err.message);
      return;
    }
    if (s.snapshot <= lastNumber && !s.final) return; // a reconnect repeats the latest one
    lastNumber = s.snapshot;
    latest = s;
    if (typeof s.mean_iou === 'number') {
      const prev = points[points.length - 1];
      const p = { x: s.pixels.counted, y: s.mean_iou, n: s.snapshot };
      if (prev && prev.x === p.x && prev.y === p.y) points[points.length - 1] = p; // same cut, newer number
      else points.push(p);
    }
    render(s);
  }

  function setConn(text, cls) {
    const c = $('conn');
    c.textContent = text;
    c.className = 'conn ' + cls;
  }

  function showProblem(text) {
    const p = $('problem');
    p.textContent = text;
    p.classList.toggle('hidden', !text);
  }

  // ---- rendering -------------------------------------------------------------------------

  function render(s) {
    E.setStatus($('status'), s.status);
    $('snapshot-number').textContent = String(s.snapshot);
    $('snapshot-time').textContent = s.time ? new Date(s.time).toLocaleTimeString() : E.DASH;
    showProblem(s.error ? `Run failed: ${s.error}` : '');

    $('mean-iou').textContent = E.metric(s.mean_iou);
    $('fw-iou').textContent = E.metric(s.frequency_weighted_iou);
    $('pixel-accuracy').textContent = E.metric(s.pixel_accuracy);
    $('mean-accuracy').textContent = E.metric(s.mean_accuracy);
    $('mean-dice').textContent = E.metric(s.mean_dice);
    $('f-beta-label').textContent = `mean F-beta (β = ${s.beta})`;
    $('mean-f-beta').textContent = E.metric(s.mean_f_beta);
    const hasCategories = Array.isArray(s.categories) && s.categories.length > 0;
    $('category-stat').classList.toggle('hidden', !hasCategories);
    if (hasCategories) $('mean-category-iou').textContent = E.metric(s.mean_category_iou);
    // Cityscapes protocol runs ("protocol": "cityscapes"): instance-level IoU (mean_iiou, mean_category_iiou).
    const cityscapes = s.protocol === 'cityscapes';
    $('iiou-stat').classList.toggle('hidden', !cityscapes);
    $('category-iiou-stat').classList.toggle('hidden', !cityscapes);
    if (cityscapes) {
      $('mean-iiou').textContent = E.metric(s.mean_iiou);
      $('mean-category-iiou').textContent = E.metric(s.mean_category_iiou);
    }
    // Boundary IoU runs (--boundary-iou): the report carries mean_boundary_iou (null or a number).
    const hasBoundary = 'mean_boundary_iou' in s;
    $('boundary-stat').classList.toggle('hidden', !hasBoundary);
    if (hasBoundary) {
      $('mean-boundary-iou').textContent = E.metric(s.mean_boundary_iou);
      if (typeof s.boundary_dilation === 'number') $('boundary-label').textContent = `mean boundary IoU (dilation ${s.boundary_dilation})`;
    }

    if (s.final && s.status === 'completed') {
      $('downloads').classList.remove('hidden');
      $('report-json').href = base + '/report.json';
      $('report-csv').href = base + '/report.csv';
    }

    renderProgress(s);
    if (!worstAsked || (s.final && !worstFinal)) loadWorstImages(s.final);
    if (s.final && !intervalsAsked) loadIntervals();
    renderCurve();
    renderClasses(s);
    renderHeatmap(s);
  }

  // ---- worst images (per-image runs) ------------------------------------------------------

  let worstAsked = false;
  let worstFinal = false;

  // Asked once when the page opens and once more with the final snapshot; a run without
  // per-image results answers 409 and the card stays hidden.
  async function loadWorstImages(final) {
    worstAsked = true;
    if (final) worstFinal = true;
    try {
      const res = await fetch(base + '/worst-images', { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!res.ok) return;
      renderWorstImages(await res.json());
    } catch (e) {
      // the stream's own errors say what is wrong with the node
    }
  }

  function renderWorstImages(w) {
    const rows = (w.worst_images || []).map((i) => E.el('tr', {},
      E.el('td', { text: i.image }),
      E.el('td', { class: 'muted', text: i.prediction }),
      E.el('td', { class: 'num', text: E.metric(i.mean_iou) }),
      E.el('td', { class: 'num', text: E.metric(i.pixel_accuracy) }),
      E.el('td', { class: 'num', text: E.int(i.pixels.counted) })));
    document.querySelector('#worst-images tbody').replaceChildren(...rows);
    $('images-jsonl').href = base + '/images.jsonl';
    $('worst-card').classList.remove('hidden');
    loadCompareChoices();
  }

  // ---- bootstrap intervals (final per-image runs) -------------------------------------------

  // GET /runs/{id}/bootstrap with these parameters, shown next to them; a run without per-image
  // results (or not final) answers 409 and the page shows no intervals.
  const BOOTSTRAP = { resamples: 1000, seed: 0, confidence: 0.95 };
  let intervalsAsked = false;
  let intervals = null;

  async function loadIntervals() {
    intervalsAsked = true;
    const q = new URLSearchParams({ resamples: String(BOOTSTRAP.resamples), seed: String(BOOTSTRAP.seed), confidence: String(BOOTSTRAP.confidence) });
    try {
      const res = await fetch(base + '/bootstrap?' + q, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!res.ok) return;
      intervals = await res.json();
    } catch (e) {
      return; // the stream's own errors say what is wrong with the node
    }
    const level = `${+(intervals.confidence * 100).toFixed(2)} % CI`;
    const m = intervals.mean_iou;
    $('mean-iou-ci').textContent = `mean IoU ${E.metric(latest && latest.mean_iou)} (${m ? `${level} ${interval(m)}` : `no ${level}`})`;
    $('bootstrap-note').textContent = `· bootstrap over the images: ${E.int(intervals.resamples)} resamples, seed ${intervals.seed}`;
    $('intervals').classList.remove('hidden');
    if (latest) renderClasses(latest);
  }

  function interval(ci) {
    return ci ? `${E.metric(ci.low)}${E.DASH}${E.metric(ci.high)}` : E.DASH;
  }

  // "Compare with…": the node's other runs; the compare page says so for a run without per-image results (409).
  let compareListed = false;
  async function loadCompareChoices() {
    if (compareListed) return;
    compareListed = true;
    try {
      const res = await fetch('/runs', { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!res.ok) return;
      const others = (await res.json()).filter((r) => r.run_id !== runId);
      $('compare-with').append(...others.map((r) => E.el('option', { value: r.run_id, text: r.run_id })));
    } catch (e) {
      // the list is a convenience: /compare?a=..&b=.. works without it
    }
  }

  $('compare-with').addEventListener('change', (ev) => {
    const other = ev.target.value;
    const link = $('compare-link');
    link.classList.toggle('hidden', !other);
    if (other) link.href = '/compare?a=' + encodeURIComponent(runId) + '&b=' + encodeURIComponent(other);
  });

  function renderProgress(s) {
    const p = s.pixels;
    $('pixels-total').textContent = E.int(p.total);
    $('pixels-counted').textContent = E.int(p.counted);
    $('pixels-ignored').textContent = E.int(p.ignored);
    $('pixels-oor').textContent = E.int(p.out_of_range);
    const expected = s.expected_pixels > 0;
    $('expected').classList.toggle('hidden', !expected);
    if (expected) {
      const f = Math.min(1, p.total / s.expected_pixels);
      $('progress-fill').style.width = (f * 100).toFixed(1) + '%';
      $('progress-text').textContent = `${E.percent(f)} of ${E.int(s.expected_pixels)} expected pixels`;
    }
    const rows = (s.partitions || []).map((q) => E.el('tr', {},
      E.el('td', { class: 'num', text: String(q.partition) }),
      E.el('td', { class: 'num', text: q.batches > 0 ? `${E.int(q.watermark)} / ${E.int(q.batches)}` : E.int(q.watermark) }),
      E.el('td', { class: 'num', text: E.int(q.pixels) }),
      E.el('td', { text: q.final ? '✓ final' : 'open' })));
    document.querySelector('#partitions tbody').replaceChildren(...rows);

    const bad = s.bad_pairs || [];
    const box = $('bad-pairs');
    box.classList.toggle('hidden', bad.length === 0);
    if (bad.length > 0) {
      box.replaceChildren(E.el('b', { text: `${bad.length} pair(s) skipped` }),
        E.el('ul', {}, bad.slice(0, 10).map((b) => E.el('li', { class: 'muted', text: b.error }))),
        bad.length > 10 ? E.el('span', { class: 'muted', text: `… and ${bad.length - 10} more` }) : null);
    }
  }

  function renderCurve() {
    const W = 640, H = 260, L = 54, R = 20, T = 14, B = 36;
    const g = $('curve');
    g.setAttribute('data-points', String(points.length));
    const kids = [];
    if (points.length === 0) {
      kids.push(E.svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', text: 'no counted pixels yet' }));
      g.replaceChildren(...kids);
      return;
    }
    const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
    const xmax = Math.max(...xs) || 1;
    let ylo = Math.min(...ys), yhi = Math.max(...ys);
    const pad = Math.max(0.02, (yhi - ylo) * 0.15);
    ylo = Math.max(0, ylo - pad);
    yhi = Math.min(1, yhi + pad);
    if (yhi - ylo < 1e-9) { ylo = Math.max(0, ylo - 0.05); yhi = Math.min(1, yhi + 0.05); }
    const sx = (x) => L + (x / xmax) * (W - L - R);
    const sy = (y) => T + (1 - (y - ylo) / (yhi - ylo)) * (H - T - B);

    for (let i = 0; i <= 4; i++) {
      const y = ylo + (yhi - ylo) * i / 4;
      kids.push(E.svg('line', { class: 'grid', x1: L, x2: W - R, y1: sy(y), y2: sy(y) }));
      kids.push(E.svg('text', { x: L - 6, y: sy(y) + 4, 'text-anchor': 'end', text: y.toFixed(3) }));
    }
    for (let i = 0; i <= 4; i++) {
      const x = xmax * i / 4;
      kids.push(E.svg('line', { class: 'grid', x1: sx(x), x2: sx(x), y1: T, y2: H - B }));
      kids.push(E.svg('text', { x: sx(x), y: H - B + 16, 'text-anchor': 'middle', text: E.compact(x) }));
    }
    kids.push(E.svg('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
    kids.push(E.svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    kids.push(E.svg('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle', text: 'pixels counted' }));
    kids.push(E.svg('text', { x: 12, y: (T + H - B) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(T + H - B) / 2})`, text: 'mean IoU' }));

    kids.push(E.svg('polyline', { class: 'curve', points: points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ') }));
    for (const p of points) {
      const dot = E.svg('circle', { class: 'dot', cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: 3 });
      dot.appendChild(E.svg('title', { text: `snapshot ${p.n}: mean IoU ${E.metric(p.y)} at ${E.int(p.x)} pixels` }));
      kids.push(dot);
    }
    const last = points[points.length - 1];
    const lx = sx(last.x), ly = sy(last.y);
    kids.push(E.svg('text', { class: 'last', x: lx - 6, y: ly < T + 16 ? ly + 18 : ly - 8, 'text-anchor': 'end', text: E.metric(last.y) }));
    g.replaceChildren(...kids);
  }

  function className(s, i) {
    const n = s.class_names && s.class_names[i];
    return n ? n : `class ${i}`;
  }

  function renderClasses(s) {
    const cis = intervals ? intervals.per_class_iou : null;
    const hasBoundary = 'mean_boundary_iou' in s;
    $('ci-head').classList.toggle('hidden', !cis);
    $('ci-head').textContent = intervals ? `IoU ${+(intervals.confidence * 100).toFixed(2)} % CI` : 'IoU CI';
    $('boundary-head').classList.toggle('hidden', !hasBoundary);
    const cityscapes = s.protocol === 'cityscapes';
    $('iiou-head').classList.toggle('hidden', !cityscapes);
    // iIoU: blank where the script has none (null: a class without instances, or NaN).
    const iiou = (v) => (typeof v === 'number' && isFinite(v) ? E.metric(v) : '');
    const rows = (s.per_class || []).map((c) => {
      const has = typeof c.iou === 'number';
      const ci = cis ? cis[c.id] : null;
      const pct = (v) => (Math.min(1, Math.max(0, v)) * 100).toFixed(2);
      const bar = E.el('div', { class: 'bar' },
        has ? E.el('div', { class: 'fill', style: `width:${(c.iou * 100).toFixed(2)}%;background:${E.scoreColour(c.iou)}` }) : null,
        ci ? E.el('div', { class: 'whisker', title: `${intervals.confidence * 100} % CI ${interval(ci)}`,
          style: `left:${pct(ci.low)}%;width:${(pct(ci.high) - pct(ci.low)).toFixed(2)}%` }) : null,
        E.el('span', { class: 'val', text: E.metric(c.iou) }));
      return E.el('tr', { 'data-class': String(c.id) },
        E.el('td', { class: 'num', text: String(c.id) }),
        E.el('td', { class: 'name', text: c.name || `class ${c.id}`, title: c.name || '' }),
        E.el('td', { class: 'iou barcell' }, bar),
        cis ? E.el('td', { class: 'num ci', text: interval(ci) }) : null,
        hasBoundary ? E.el('td', { class: 'num boundary', text: E.metric(c.boundary_iou) }) : null,
        cityscapes ? E.el('td', { class: 'num iiou', text: iiou(c.iiou) }) : null,
        E.el('td', { class: 'num', text: E.metric(c.accuracy) }),
        E.el('td', { class: 'num', text: E.metric(c.precision) }),
        E.el('td', { class: 'num', text: E.metric(c.dice) }),
        E.el('td', { class: 'num', text: E.int(c.support) }));
    });
    document.querySelector('#classes tbody').replaceChildren(...rows);

    const cats = s.categories || [];
    $('categories').classList.toggle('hidden', cats.length === 0);
    $('category-iiou-head').classList.toggle('hidden', !cityscapes);
    document.querySelector('#categories tbody').replaceChildren(...cats.map((c) => E.el('tr', {},
      E.el('td', { text: c.name }), E.el('td', { class: 'num', text: E.metric(c.iou) }),
      cityscapes ? E.el('td', { class: 'num iiou', text: iiou(c.iiou) }) : null)));
    $('category-means').classList.toggle('hidden', !cityscapes || cats.length === 0);
    if (cityscapes) {
      $('category-mean-iou').textContent = E.metric(s.mean_category_iou);
      $('category-mean-iiou').textContent = E.metric(s.mean_category_iiou);
    }
  }

  // The heatmap: row-normalised confusion matrix, one cell per (ground truth, prediction).
  let heat = null; // what the tooltip needs: geometry and the matrix of the drawn snapshot

  // The event stream sends the matrix sparse: confusion_cells holds its nonzero cells as
  // [row (ground truth), column (prediction), count]. A dense confusion_matrix (a /snapshot
  // body) is read as it is.
  function matrixOf(s) {
    if (Array.isArray(s.confusion_matrix)) return s.confusion_matrix;
    const C = s.num_classes || 0;
    const m = Array.from({ length: C }, () => new Float64Array(C));
    for (const [i, j, n] of s.confusion_cells || []) m[i][j] = n;
    return m;
  }

  function renderHeatmap(s) {
    const m = matrixOf(s);
    const C = m.length;
    const canvas = $('heatmap');
    const labels = C <= 40;
    const L = labels ? 120 : 36, T = labels ? 96 : 24;
    const width = Math.max(320, Math.min(620, canvas.parentElement.clientWidth || 560));
    const size = Math.max(120, Math.min(width - L - 8, 520));
    const W = L + size + 8, H = T + size + 8;
    const dpr = window.devicePixelRatio || 1;
    canvas.style.width = W + 'px';
    canvas.style.height = H + 'px';
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    if (C === 0) return;

    const rowSums = m.map((row) => row.reduce((a, b) => a + b, 0));
    const cell = size / C;
    // Cells as pixels of a C×C image, scaled up without smoothing (any C, one pass).
    const img = new ImageData(C, C);
    for (let i = 0; i < C; i++) {
      for (let j = 0; j < C; j++) {
        const k = (i * C + j) * 4;
        if (rowSums[i] === 0) {
          img.data[k] = img.data[k + 1] = img.data[k + 2] = 232;
        } else {
          const [r, g, b] = E.blues(m[i][j] / rowSums[i]);
          img.data[k] = r; img.data[k + 1] = g; img.data[k + 2] = b;
        }
        img.data[k + 3] = 255;
      }
    }
    const off = document.createElement('canvas');
    off.width = C;
    off.height = C;
    off.getContext('2d').putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, L, T, size, size);
    ctx.strokeStyle = '#9aa6b4';
    ctx.lineWidth = 1;
    ctx.strokeRect(L - 0.5, T - 0.5, size + 1, size + 1);

    ctx.fillStyle = '#5f6b7a';
    ctx.font = '11px system-ui, sans-serif';
    if (labels) {
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      for (let i = 0; i < C; i++) ctx.fillText(trim(className(s, i), 18), L - 6, T + (i + 0.5) * cell);
      ctx.save();
      for (let j = 0; j < C; j++) {
        ctx.save();
        ctx.translate(L + (j + 0.5) * cell, T - 6);
        ctx.rotate(-Math.PI / 3);
        ctx.textAlign = 'left';
        ctx.fillText(trim(className(s, j), 14), 0, 0);
        ctx.restore();
      }
      ctx.restore();
    } else {
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      const step = Math.ceil(C / 8);
      for (let i = 0; i < C; i += step) ctx.fillText(String(i), L - 4, T + (i + 0.5) * cell);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      for (let j = 0; j < C; j += step) ctx.fillText(String(j), L + (j + 0.5) * cell, T - 3);
    }
    // Percentages inside cells when they are large enough to read.
    if (cell >= 34) {
      ctx.font = `${cell >= 60 ? 13 : 10}px system-ui, sans-serif`;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      for (let i = 0; i < C; i++) {
        if (rowSums[i] === 0) {
          ctx.fillStyle = '#5f6b7a';
          ctx.fillText('no ground-truth pixels', L + size / 2, T + (i + 0.5) * cell);
          continue;
        }
        for (let j = 0; j < C; j++) {
          const v = m[i][j] / rowSums[i];
          ctx.fillStyle = v > 0.5 ? '#ffffff' : '#1d2733';
          ctx.fillText(E.percent(v, cell >= 60 ? 1 : 0), L + (j + 0.5) * cell, T + (i + 0.5) * cell);
        }
      }
    }
    heat = { s, m, rowSums, L, T, size, cell, C };
  }

  function trim(text, n) {
    return text.length > n ? text.slice(0, n - 1) + '…' : text;
  }

  function setupTooltip() {
    const canvas = $('heatmap');
    const tip = $('tooltip');
    canvas.addEventListener('mousemove', (e) => {
      if (!heat) return;
      const rect = canvas.getBoundingClientRect();
      const x = e.clientX - rect.left - heat.L, y = e.clientY - rect.top - heat.T;
      if (x < 0 || y < 0 || x >= heat.size || y >= heat.size) {
        tip.classList.add('hidden');
        return;
      }
      const i = Math.floor(y / heat.cell), j = Math.floor(x / heat.cell);
      const count = heat.m[i][j];
      const share = heat.rowSums[i] > 0 ? E.percent(count / heat.rowSums[i], 2) : E.DASH;
      tip.textContent = `ground truth ${className(heat.s, i)} → predicted ${className(heat.s, j)}: ${E.int(count)} px (${share} of the row)`;
      tip.style.left = (e.clientX - rect.left + 12) + 'px';
      tip.style.top = (e.clientY - rect.top + 12) + 'px';
      tip.classList.remove('hidden');
    });
    canvas.addEventListener('mouseleave', () => tip.classList.add('hidden'));
  }

  function drawRamp() {
    const c = $('ramp');
    const ctx = c.getContext('2d');
    for (let x = 0; x < c.width; x++) {
      const [r, g, b] = E.blues(x / (c.width - 1));
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(x, 0, 1, c.height);
    }
  }

  window.addEventListener('resize', () => { if (latest) renderHeatmap(latest); });
  drawRamp();
  setupTooltip();
  renderCurve();
  connect();
})();
