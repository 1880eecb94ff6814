// SCIM Trace panel: pure rendering helpers. Every server-provided string goes into the DOM through
// textContent; nothing here ever assigns innerHTML. Uses only document.createElement, setAttribute,
// appendChild, className and textContent, so a unit test can run it against a tiny DOM shim.
// Loaded as a classic script in the webview (window.ScimTraceView) and with require() in node tests.
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.ScimTraceView = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  var METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
  var MASK = /\u2022\u2022/; // "••" as written by the trace's masking

  /** h(doc, 'td', {class: 'h-name'}, 'text', childEl, ...) */
  function h(doc, tag, attrs) {
    var el = doc.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k)) continue;
        var v = attrs[k];
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') el.className = String(v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (var i = 3; i < arguments.length; i++) append(doc, el, arguments[i]);
    return el;
  }

  function append(doc, el, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) {
      for (var j = 0; j < child.length; j++) append(doc, el, child[j]);
      return;
    }
    if (typeof child === 'string' || typeof child === 'number') {
      var span = doc.createElement('span');
      span.textContent = String(child);
      el.appendChild(span);
      return;
    }
    el.appendChild(child);
  }

  function text(doc, tag, cls, value) {
    var el = doc.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = value === undefined || value === null ? '' : String(value);
    return el;
  }

  function prettyBody(body) {
    if (body === undefined || body === null || body === '') return '';
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch (e) {
      return String(body);
    }
  }

  function statusClass(status) {
    if (!status) return 's-none';
    return 's' + String(status).charAt(0) + 'xx';
  }

  function ms(v) {
    return typeof v === 'number' ? Math.round(v) + ' ms' : '';
  }

  // ---- filtering -----------------------------------------------------------------------------

  function tokens(query) {
    return String(query || '').trim().split(/\s+/).filter(Boolean);
  }

  /** Does one exchange row (with its operation's title) match every token of the query? */
  function matches(ex, opTitle, query) {
    var toks = tokens(query);
    if (!toks.length) return true;
    var hay = [ex.method, ex.path, ex.host, ex.status, opTitle, ex.diagnosis, ex.error].join(' ').toLowerCase();
    for (var i = 0; i < toks.length; i++) {
      var t = toks[i];
      var up = t.toUpperCase();
      if (METHODS.indexOf(up) >= 0) {
        if (ex.method !== up) return false;
      } else if (/^\d{3}$/.test(t)) {
        if (String(ex.status) !== t) return false;
      } else if (/^[1-5]xx$/i.test(t)) {
        if (!ex.status || String(ex.status).charAt(0) !== t.charAt(0)) return false;
      } else if (hay.indexOf(t.toLowerCase()) < 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The flat list the virtual list draws: newest operation first, each followed by its exchanges.
   * With a query, only matching exchanges (and their operations) remain.
   */
  function buildRows(opOrder, ops, exByOp, query, collapsed) {
    var rows = [];
    var filtering = tokens(query).length > 0;
    for (var i = 0; i < opOrder.length; i++) {
      var op = ops.get(opOrder[i]);
      if (!op) continue;
      var list = exByOp.get(op.id) || [];
      var shown = filtering ? list.filter(function (ex) { return matches(ex, op.title, query); }) : list;
      if (filtering && !shown.length) continue;
      rows.push({ kind: 'op', id: op.id, op: op, count: list.length });
      if (collapsed && collapsed.has(op.id)) continue;
      for (var j = 0; j < shown.length; j++) rows.push({ kind: 'ex', id: shown[j].id, ex: shown[j], op: op });
    }
    return rows;
  }

  /** Rows [start, end) to draw for a scroll position. */
  function visibleRange(scrollTop, viewport, rowHeight, total, overscan) {
    var first = Math.floor(Math.max(0, scrollTop) / rowHeight);
    var count = Math.ceil(viewport / rowHeight) + 1;
    var start = Math.max(0, first - overscan);
    var end = Math.min(total, first + count + overscan);
    return { start: start, end: Math.max(start, end) };
  }

  // ---- rows ----------------------------------------------------------------------------------

  function renderRow(doc, row, index, state) {
    if (row.kind === 'op') {
      var op = row.op;
      var open = !(state.collapsed && state.collapsed.has(op.id));
      var note = op.diagnosis || op.progress || op.summary || '';
      return h(doc, 'div', {
        class: 'row op-row state-' + op.state + (op.severity ? ' sev-' + op.severity : ''),
        role: 'treeitem', 'aria-level': '1', tabindex: index === state.focusIndex ? '0' : '-1',
        'data-index': index, 'data-id': op.id, 'aria-expanded': open ? 'true' : 'false',
      },
      text(doc, 'span', 'twisty', open ? '\u25BE' : '\u25B8'),
      text(doc, 'span', 'c-title', op.title),
      text(doc, 'span', 'c-profile', op.profile),
      text(doc, 'span', 'c-note', note),
      text(doc, 'span', 'c-time', new Date(op.startedAt).toLocaleTimeString() + ' \u00B7 ' + row.count + ' ex'));
    }
    var ex = row.ex;
    var status = ex.status ? String(ex.status) : ex.state === 'failed' ? 'ERR' : '\u2026';
    var cls = 'row ex-row ' + statusClass(ex.status) + ' state-' + ex.state;
    if (state.selectedId === ex.id) cls += ' selected';
    if (state.compareIds && state.compareIds.indexOf(ex.id) >= 0) cls += ' compare';
    return h(doc, 'div', {
      class: cls, role: 'treeitem', 'aria-level': '2', tabindex: index === state.focusIndex ? '0' : '-1',
      'data-index': index, 'data-id': ex.id, 'data-method': ex.method, 'data-status': ex.status ? String(ex.status) : '',
      'aria-selected': state.selectedId === ex.id ? 'true' : 'false',
      title: ex.diagnosis || ex.error || undefined,
    },
    text(doc, 'span', 'c-method', ex.method),
    text(doc, 'span', 'c-path', ex.path),
    text(doc, 'span', 'c-status', status),
    text(doc, 'span', 'c-time', ms(ex.ms)),
    ex.attempt > 1 ? text(doc, 'span', 'c-attempt', 'try ' + ex.attempt) : null,
    ex.diagnosis ? text(doc, 'span', 'c-diag', '\u26A0') : null);
  }

  // ---- exchange detail -----------------------------------------------------------------------

  function isMasked(value, index, revealable) {
    return (revealable && revealable.indexOf(index) >= 0) || MASK.test(String(value));
  }

  function headerTable(doc, id, cls, headers, opts) {
    var table = h(doc, 'table', { id: id || undefined, class: 'headers ' + (cls || '') });
    for (var i = 0; i < headers.length; i++) {
      var name = headers[i][0];
      var value = headers[i][1];
      var rowCls = opts && opts.highlight && opts.highlight[String(name).toLowerCase()];
      // The value cell holds the value only (tests and screen readers read it); the button has its own cell.
      var valueCell = h(doc, 'td', { class: 'h-value', 'data-index': i }, text(doc, 'span', 'v', value));
      var actionCell = h(doc, 'td', { class: 'h-action' });
      if (opts && opts.exchangeId && isMasked(value, i, opts.revealable)) {
        actionCell.appendChild(h(doc, 'button', {
          type: 'button', class: 'reveal', 'data-exchange': opts.exchangeId, 'data-index': i,
          title: 'Show the raw value (kept only in this session)',
        }, 'reveal'));
      }
      table.appendChild(h(doc, 'tr', { class: rowCls || undefined }, text(doc, 'td', 'h-name', name), valueCell, actionCell));
    }
    return table;
  }

  function section(doc, title) {
    return text(doc, 'h3', 'section', title);
  }

  function diagnosisBanner(doc, d) {
    if (!d) return null;
    return h(doc, 'div', { class: 'diagnosis sev-' + (d.severity || 'error'), role: 'alert' },
      text(doc, 'strong', 'd-summary', d.summary),
      d.fix ? text(doc, 'span', 'd-fix', d.fix) : null,
      text(doc, 'span', 'd-code', d.code ? '(' + d.source + ': ' + d.code + ')' : ''));
  }

  /**
   * One exchange. `primary` gives the ids the e2e test reads (#req-headers, #res-headers); the
   * compare view renders two of these with classes only.
   */
  function renderExchange(doc, msg, primary) {
    var ex = msg.exchange;
    var req = ex.request;
    var res = ex.response;
    var root = h(doc, 'div', { class: 'exchange', 'data-id': ex.id });
    var diag = ex.diagnosis || (msg.operationDiagnosis && msg.operationDiagnosis.exchangeId === ex.id ? msg.operationDiagnosis : null);
    append(doc, root, diagnosisBanner(doc, diag));
    if (msg.operation) {
      root.appendChild(text(doc, 'div', 'op-title', msg.operation.title + ' \u2014 exchange ' + ex.seq + ' \u00B7 ' + msg.operation.profile));
    }

    root.appendChild(section(doc, 'Request'));
    root.appendChild(text(doc, 'div', 'request-line', req.line || req.method + ' ' + req.url));
    var facts = ['URL: ' + req.url, 'key sent as: ' + ex.keySentAs];
    if (!req.wire) facts.push('headers as handed to the HTTP client (never written to a socket)');
    if (ex.attempt > 1) facts.push('attempt ' + ex.attempt + (ex.retryOf ? ' (retry of ' + ex.retryOf + ')' : ''));
    if (ex.redirectOf) facts.push('redirect from ' + ex.redirectOf);
    root.appendChild(text(doc, 'div', 'facts', facts.join(' \u00B7 ')));
    root.appendChild(headerTable(doc, primary ? 'req-headers' : null, 'req-headers', req.headers || [], {
      exchangeId: ex.id, revealable: msg.revealable, highlight: msg.highlightReq,
    }));
    if (req.body) root.appendChild(text(doc, 'pre', 'body req-body', prettyBody(req.body)));

    root.appendChild(section(doc, 'Response'));
    if (res) {
      root.appendChild(text(doc, 'div', 'status-line ' + statusClass(res.status),
        'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '') + ' \u00B7 answered by ' + res.answeredBy));
      root.appendChild(headerTable(doc, primary ? 'res-headers' : null, 'res-headers', res.headers || [], { highlight: msg.highlightRes }));
      if (res.body) root.appendChild(text(doc, 'pre', 'body res-body', prettyBody(res.body)));
      if (res.truncated && !ex.bodiesDropped) root.appendChild(text(doc, 'div', 'note', 'Body truncated at ' + res.bodySize + ' bytes.'));
    } else {
      root.appendChild(text(doc, 'div', 'status-line s-none', ex.state === 'pending' ? 'pending\u2026' : 'no response'));
    }
    if (ex.error) root.appendChild(text(doc, 'div', 'error', ex.error.code + ': ' + ex.error.message));

    var t = ex.timings || {};
    root.appendChild(section(doc, 'Timings'));
    var timings = h(doc, 'table', { class: 'timings' });
    var rows = [['started', new Date(t.start).toISOString()], ['waited before', ms(t.waited)], ['headers written', ms(t.sent)],
      ['response headers', ms(t.headers)], ['done', ms(t.end)]];
    for (var i = 0; i < rows.length; i++) {
      if (rows[i][1]) timings.appendChild(h(doc, 'tr', null, text(doc, 'td', 'h-name', rows[i][0]), text(doc, 'td', 'h-value', rows[i][1])));
    }
    root.appendChild(timings);

    if (ex.location) {
      root.appendChild(section(doc, 'Location'));
      root.appendChild(text(doc, 'div', 'location', ex.location.policy + ': ' + ex.location.from + ' \u2192 ' + ex.location.to +
        (ex.location.credentialsWithheld ? ' (credentials withheld: other origin)' : '')));
    }
    if (ex.warnings && ex.warnings.length) {
      var ul = h(doc, 'ul', { class: 'warnings' });
      for (var w = 0; w < ex.warnings.length; w++) ul.appendChild(text(doc, 'li', null, ex.warnings[w]));
      root.appendChild(ul);
    }
    return root;
  }

  /** Header names (lower case) present in one list and not the other, and those whose values differ. */
  function headerDiff(a, b) {
    function index(list) {
      var m = {};
      for (var i = 0; i < list.length; i++) {
        var k = String(list[i][0]).toLowerCase();
        m[k] = m[k] === undefined ? String(list[i][1]) : m[k] + ', ' + list[i][1];
      }
      return m;
    }
    var A = index(a || []);
    var B = index(b || []);
    var onlyA = [], onlyB = [], changed = [];
    for (var k in A) {
      if (!(k in B)) onlyA.push(k);
      else if (A[k] !== B[k]) changed.push(k);
    }
    for (var k2 in B) if (!(k2 in A)) onlyB.push(k2);
    return { onlyA: onlyA, onlyB: onlyB, changed: changed };
  }

  function highlights(only, changed) {
    var m = {};
    for (var i = 0; i < changed.length; i++) m[changed[i]] = 'diff-changed';
    for (var j = 0; j < only.length; j++) m[only[j]] = 'diff-only';
    return m;
  }

  function renderCompare(doc, a, b) {
    var req = headerDiff(a.exchange.request.headers, b.exchange.request.headers);
    var res = headerDiff(a.exchange.response ? a.exchange.response.headers : [], b.exchange.response ? b.exchange.response.headers : []);
    var left = Object.assign({}, a, { highlightReq: highlights(req.onlyA, req.changed), highlightRes: highlights(res.onlyA, res.changed) });
    var right = Object.assign({}, b, { highlightReq: highlights(req.onlyB, req.changed), highlightRes: highlights(res.onlyB, res.changed) });
    var summary = [];
    if (req.onlyA.length) summary.push('only in left request: ' + req.onlyA.join(', '));
    if (req.onlyB.length) summary.push('only in right request: ' + req.onlyB.join(', '));
    if (!summary.length) summary.push('same request header names');
    return h(doc, 'div', { class: 'compare-root' },
      h(doc, 'div', { class: 'compare-head' },
        text(doc, 'span', 'compare-summary', summary.join(' \u00B7 ')),
        h(doc, 'button', { type: 'button', id: 'close-compare' }, 'Close')),
      h(doc, 'div', { class: 'compare-cols' },
        h(doc, 'div', { class: 'col col-a' }, renderExchange(doc, left, false)),
        h(doc, 'div', { class: 'col col-b' }, renderExchange(doc, right, false))));
  }

  function renderProbe(doc, msg) {
    var table = h(doc, 'table', { class: 'probe-table' },
      h(doc, 'tr', null, text(doc, 'th', null, 'method'), text(doc, 'th', null, 'key sent'), text(doc, 'th', null, 'custom headers'),
        text(doc, 'th', null, 'status'), text(doc, 'th', null, 'answered by'), text(doc, 'th', null, 'verdict'), text(doc, 'th', null, 'detail')));
    for (var i = 0; i < msg.rows.length; i++) {
      var r = msg.rows[i];
      var custom = (r.customHeadersSent || []).join(', ') + (r.customHeadersMissing && r.customHeadersMissing.length ? ' (missing: ' + r.customHeadersMissing.join(', ') + ')' : '');
      // a row with an exchange opens it: by click, or Enter when focused (Tab reaches it)
      table.appendChild(h(doc, 'tr', {
        class: 'verdict-' + r.verdict, 'data-exchange': r.exchangeId || undefined, tabindex: r.exchangeId ? '0' : undefined,
        title: r.exchangeId ? 'Enter or click: show this exchange' : undefined,
      },
        text(doc, 'td', 'p-method', r.method), text(doc, 'td', null, r.keySent), text(doc, 'td', null, custom),
        text(doc, 'td', statusClass(r.status), r.status === null ? '\u2014' : r.status), text(doc, 'td', null, r.answeredBy),
        text(doc, 'td', 'p-verdict', r.verdict), text(doc, 'td', null, r.detail)));
    }
    return h(doc, 'div', { class: 'probe-root' },
      h(doc, 'div', { class: 'probe-head' }, text(doc, 'strong', null, 'Gateway probe \u00B7 ' + msg.profile),
        h(doc, 'button', { type: 'button', id: 'close-probe' }, 'Close')),
      table);
  }

  return {
    h: h, text: text, prettyBody: prettyBody, statusClass: statusClass, matches: matches, buildRows: buildRows,
    visibleRange: visibleRange, renderRow: renderRow, renderExchange: renderExchange, renderCompare: renderCompare,
    renderProbe: renderProbe, headerDiff: headerDiff, isMasked: isMasked,
  };
});
