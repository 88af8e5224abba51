// The run list: GET /runs every few seconds.
'use strict';

(function () {
  const E = window.Evaluator;
  const REFRESH_MS = 3000;
  const body = document.querySelector('#runs tbody');
  const none = document.getElementById('no-runs');
  const updated = document.getElementById('updated');
  const problem = document.getElementById('problem');

  function row(r) {
    const badge = E.el('span', { class: 'badge ' + r.status, text: r.status });
    const batches = r.pairs > 0 ? `${E.int(r.pairs_done)} / ${E.int(r.pairs)}` : E.int(r.pairs_done);
    const pixels = r.expected_pixels > 0
      ? `${E.compact(r.pixels)} / ${E.compact(r.expected_pixels)}`
      : E.compact(r.pixels);
    return E.el('tr', { 'data-run': r.run_id },
      E.el('td', {}, E.el('a', { href: '/runs/' + encodeURIComponent(r.run_id), text: r.run_id })),
      E.el('td', {}, badge),
      E.el('td', { class: 'num', text: batches }),
      E.el('td', { class: 'num', text: pixels, title: E.int(r.pixels) }),
      E.el('td', { class: 'num', text: E.int(r.counted) }),
      E.el('td', { class: 'num mean-iou', text: E.metric(r.mean_iou) }),
      E.el('td', { class: 'muted', text: r.error || '' }));
  }

  async function refresh() {
    try {
      const res = await fetch('/runs', { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!res.ok) throw new Error(`GET /runs: HTTP ${res.status}`);
      const runs = await res.json();
      body.replaceChildren(...runs.map(row));
      none.classList.toggle('hidden', runs.length > 0);
      problem.classList.add('hidden');
      updated.textContent = `${runs.length} run${runs.length === 1 ? '' : 's'} · updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      problem.textContent = `The node did not answer (${e.message}); retrying.`;
      problem.classList.remove('hidden');
    } finally {
      setTimeout(refresh, REFRESH_MS);
    }
  }

  refresh();
})();
