// Lethe compliance dashboard: plain browser JavaScript, no build step, no dependency.
// Signs in with a bearer token kept in sessionStorage, reads GET /v1/compliance/summary with it
// and draws tables and two SVG line charts. Everything is written with textContent and DOM calls
// (never innerHTML), so no value from the API is ever parsed as markup.
(function () {
  'use strict';

  // The axis arithmetic of the PDF report (reports/chart-scale.ts), served as chart-scale.js.
  var scale = globalThis.LetheChartScale;
  var TOKEN_KEY = 'lethe.dashboard.token';
  var SVG = 'http://www.w3.org/2000/svg';
  // Okabe–Ito: distinct for common colour blindness; the same order as the PDF report.
  var COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
  // The domain's request statuses, in order (generated from it, served as request-statuses.js).
  var STATUSES = globalThis.LetheRequestStatuses;

  var $ = function (id) {
    return document.getElementById(id);
  };

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function showSignIn(message) {
    $('content').hidden = true;
    $('sign-out').hidden = true;
    $('sign-in').hidden = false;
    var error = $('sign-in-error');
    error.textContent = message || '';
    error.hidden = !message;
    clearData();
  }

  function showContent() {
    $('sign-in').hidden = true;
    $('content').hidden = false;
    $('sign-out').hidden = false;
  }

  function clearData() {
    ['status-table', 'requests-table', 'models-table'].forEach(function (id) {
      var body = $(id).querySelector('tbody');
      while (body.firstChild) body.removeChild(body.firstChild);
    });
    ['totals', 'chart-epsilon', 'chart-accuracy', 'requests-omitted'].forEach(function (id) {
      var el = $(id);
      while (el.firstChild) el.removeChild(el.firstChild);
    });
  }

  function rangeQuery() {
    var params = new URLSearchParams();
    if ($('from').value) params.set('from', $('from').value);
    if ($('to').value) params.set('to', $('to').value);
    var q = params.toString();
    return q ? '?' + q : '';
  }

  function api(path) {
    return fetch(path, {
      headers: { authorization: 'Bearer ' + token(), accept: 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
    });
  }

  async function problemOf(res) {
    try {
      var body = await res.json();
      return (body.code ? body.code + ': ' : '') + (body.detail || res.statusText);
    } catch (e) {
      return res.status + ' ' + res.statusText;
    }
  }

  async function load() {
    if (!token()) return showSignIn();
    $('status').textContent = 'loading…';
    var res;
    try {
      res = await api('/v1/compliance/summary' + rangeQuery());
    } catch (e) {
      $('status').textContent = 'the service did not answer';
      return;
    }
    if (res.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showSignIn('The service refused this token (' + (await problemOf(res)) + ').');
    }
    if (res.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showSignIn('This token has neither the compliance nor the auditor role.');
    }
    if (!res.ok) {
      showContent();
      $('status').textContent = await problemOf(res);
      return;
    }
    var summary = await res.json();
    showContent();
    render(summary);
    $('status').textContent = 'as of ' + summary.generatedAt;
  }

  // ---- tables ----

  function cell(row, text, className) {
    var td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '—' : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  var num = scale.shortNumber;

  function range(r) {
    if (!r) return '—';
    return r.min === r.max ? num(r.min) : num(r.min) + ' – ' + num(r.max);
  }

  function mix(m) {
    var parts = Object.keys(m || {})
      .filter(function (k) {
        return m[k] > 0;
      })
      .map(function (k) {
        return k + ' ' + m[k];
      });
    return parts.length ? parts.join(', ') : 'none';
  }

  function render(s) {
    clearData();
    var totals = $('totals');
    [
      ['requests', s.totals.requests],
      ['overdue', s.totals.overdue],
      ['certificates', s.totals.certificates],
      ['models', s.totals.models],
    ].forEach(function (t) {
      var box = document.createElement('div');
      box.id = 'total-' + t[0];
      var n = document.createElement('strong');
      n.textContent = String(t[1]);
      box.appendChild(n);
      box.appendChild(document.createTextNode(t[0]));
      totals.appendChild(box);
    });

    var statusBody = $('status-table').querySelector('tbody');
    STATUSES.forEach(function (st) {
      var n = s.totals.byStatus[st] || 0;
      if (!n) return;
      var tr = document.createElement('tr');
      cell(tr, st);
      cell(tr, n, 'num');
      statusBody.appendChild(tr);
    });
    if (s.totals.overdue > 0) {
      var late = document.createElement('tr');
      late.className = 'overdue';
      cell(late, 'overdue (of the above)');
      cell(late, s.totals.overdue, 'num');
      statusBody.insertBefore(late, statusBody.firstChild);
    }

    var requestBody = $('requests-table').querySelector('tbody');
    s.requests.rows.forEach(function (r) {
      var tr = document.createElement('tr');
      tr.dataset.requestId = r.requestId;
      if (r.overdue) tr.className = 'overdue';
      cell(tr, r.requestId);
      cell(tr, r.status);
      cell(tr, r.deadline);
      cell(tr, r.overdue ? 'overdue' : '');
      cell(tr, r.receivedAt);
      cell(tr, r.source);
      cell(tr, r.modelIds.length ? r.modelIds.join(', ') : '—');
      requestBody.appendChild(tr);
    });
    if (s.requests.omitted > 0) {
      $('requests-omitted').textContent =
        s.requests.omitted + ' more requests in this range are not listed.';
    }

    var modelBody = $('models-table').querySelector('tbody');
    s.models.forEach(function (m) {
      var tr = document.createElement('tr');
      tr.dataset.modelId = m.modelId;
      cell(tr, m.modelId);
      cell(tr, m.certificates.total, 'num');
      cell(tr, mix(m.certificates.byMethod));
      cell(tr, range(m.privacy.epsilon));
      cell(tr, range(m.privacy.delta));
      cell(tr, range(m.privacy.sigma));
      cell(
        tr,
        (m.budget.poisoned
          ? 'no finite ε (uncertified release)'
          : num(m.budget.spentEpsilon) + ', ' + num(m.budget.spentDelta)) +
          (m.budget.limit
            ? ' of ' + num(m.budget.limit.epsilon) + ', ' + num(m.budget.limit.delta)
            : ''),
      );
      cell(tr, m.requests.total, 'num');
      cell(tr, m.requests.overdue, 'num');
      modelBody.appendChild(tr);
    });

    lineChart(
      $('chart-epsilon'),
      s.models.map(function (m) {
        return {
          label: m.modelId,
          points: m.cumulativeEpsilon.map(function (p) {
            return { x: Date.parse(p.at), y: p.epsilon };
          }),
        };
      }),
      { yTitle: 'cumulative ε (time in UTC)', yMin: 0, timeX: true },
    );
    lineChart(
      $('chart-accuracy'),
      s.models.map(function (m) {
        return {
          label: m.modelId,
          points: m.accuracy.map(function (p) {
            return { x: p.version, y: p.accuracy };
          }),
        };
      }),
      {
        yTitle: 'accuracy',
        integerX: true,
        xTick: function (v) {
          return 'v' + v;
        },
      },
    );
  }

  // ---- charts ----

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) {
      node.setAttribute(k, String(attrs[k]));
    });
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, content, anchor, className) {
    var t = el('text', { x: x, y: y, 'text-anchor': anchor || 'start' }, parent);
    if (className) t.setAttribute('class', className);
    t.textContent = content;
    return t;
  }

  /** A line chart of `series` ([{label, points: [{x, y|null}]}]) into `host`, as an SVG. */
  function lineChart(host, series, opts) {
    var W = 640;
    var H = 320;
    var left = 56;
    var right = 16;
    var top = 24;
    var bottom = 64;
    var svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    svg.setAttribute('aria-label', opts.yTitle);
    host.appendChild(svg);
    var x0 = left;
    var x1 = W - right;
    var y0 = H - bottom;
    var y1 = top;
    el('line', { x1: x0, y1: y0, x2: x1, y2: y0, stroke: '#1a1a1a', 'stroke-width': 1 }, svg);
    el('line', { x1: x0, y1: y0, x2: x0, y2: y1, stroke: '#1a1a1a', 'stroke-width': 1 }, svg);
    text(svg, 4, 14, opts.yTitle);
    var xs = [];
    var ys = [];
    series.forEach(function (s) {
      s.points.forEach(function (p) {
        xs.push(p.x);
        if (p.y !== null && isFinite(p.y)) ys.push(p.y);
      });
    });
    if (ys.length === 0) {
      host.dataset.points = '0';
      text(svg, (x0 + x1) / 2, (y0 + y1) / 2, 'no data in this range', 'middle', 'empty');
      return;
    }
    host.dataset.points = String(ys.length);
    var yAxis = scale.niceAxis(
      Math.min.apply(null, ys.concat(opts.yMin === undefined ? [] : [opts.yMin])),
      Math.max.apply(null, ys),
      5,
    );
    var xAxis;
    if (opts.integerX) {
      var lo = Math.floor(Math.min.apply(null, xs));
      var hi = Math.max(Math.ceil(Math.max.apply(null, xs)), lo + 1);
      var step = Math.max(1, Math.ceil((hi - lo) / 8));
      var ticks = [];
      for (var t = lo; t <= hi; t += step) ticks.push(t);
      xAxis = { min: lo, max: hi, ticks: ticks };
    } else if (opts.timeX) {
      xAxis = scale.timeAxis(Math.min.apply(null, xs), Math.max.apply(null, xs), 4);
      xAxis = Object.assign({ label: scale.timeLabel(xAxis.step) }, xAxis);
    } else {
      xAxis = scale.niceAxis(Math.min.apply(null, xs), Math.max.apply(null, xs), 4);
    }
    var xTick = opts.xTick || xAxis.label;
    var sx = function (v) {
      return x0 + ((v - xAxis.min) / (xAxis.max - xAxis.min || 1)) * (x1 - x0);
    };
    var sy = function (v) {
      return y0 - ((v - yAxis.min) / (yAxis.max - yAxis.min || 1)) * (y0 - y1);
    };
    yAxis.ticks.forEach(function (v) {
      el(
        'line',
        { x1: x0, y1: sy(v), x2: x1, y2: sy(v), stroke: '#e5e5e5', 'stroke-width': 1 },
        svg,
      );
      text(svg, x0 - 6, sy(v) + 4, num(v), 'end');
    });
    xAxis.ticks.forEach(function (v) {
      el('line', { x1: sx(v), y1: y0, x2: sx(v), y2: y0 + 4, stroke: '#1a1a1a' }, svg);
      text(svg, sx(v), y0 + 16, xTick(v), 'middle');
    });
    series.forEach(function (s, i) {
      var colour = COLOURS[i % COLOURS.length];
      var g = el('g', { 'data-series': s.label }, svg);
      // A null y (no finite cumulative ε) breaks the line.
      var d = '';
      var pen = false;
      s.points.forEach(function (p) {
        if (p.y === null || !isFinite(p.y)) {
          pen = false;
          return;
        }
        d += (pen ? 'L' : 'M') + sx(p.x).toFixed(1) + ' ' + sy(p.y).toFixed(1) + ' ';
        pen = true;
      });
      if (d) el('path', { d: d, fill: 'none', stroke: colour, 'stroke-width': 2.5 }, g);
      s.points.forEach(function (p) {
        if (p.y === null || !isFinite(p.y)) return;
        el('circle', { cx: sx(p.x), cy: sy(p.y), r: 4, fill: colour }, g);
      });
    });
    var legend = el('g', { class: 'legend' }, svg);
    var lx = x0;
    var ly = H - 22;
    series.forEach(function (s, i) {
      var w = 24 + s.label.length * 7;
      if (lx + w > x1) {
        lx = x0;
        ly += 14;
      }
      el(
        'rect',
        { x: lx, y: ly - 8, width: 12, height: 8, fill: COLOURS[i % COLOURS.length] },
        legend,
      );
      text(legend, lx + 16, ly, s.label);
      lx += w;
    });
  }

  // ---- wiring ----

  document.addEventListener('DOMContentLoaded', function () {
    $('sign-in-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var value = $('token').value.trim();
      $('token').value = '';
      if (!value) return showSignIn('Paste a token first.');
      sessionStorage.setItem(TOKEN_KEY, value);
      load();
    });
    $('sign-out').addEventListener('click', function () {
      sessionStorage.removeItem(TOKEN_KEY);
      showSignIn();
    });
    $('range-form').addEventListener('submit', function (e) {
      e.preventDefault();
      load();
    });
    $('pdf').addEventListener('click', async function () {
      var res = await api('/v1/compliance/report.pdf' + rangeQuery());
      if (!res.ok) {
        $('status').textContent = await problemOf(res);
        return;
      }
      var url = URL.createObjectURL(await res.blob());
      var a = document.createElement('a');
      a.href = url;
      a.download = 'lethe-compliance-report.pdf';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () {
        URL.revokeObjectURL(url);
      }, 10000);
    });
    load();
  });
})();
