// SCIM Trace panel: pure rendering helpers. Every server-provided string goes into the DOM through
// textContent; nothing here ever assigns innerHTML. Uses only document.createElement, setAttribute,
// appendChild, className and textContent, so a unit test can run it against a tiny DOM shim.
// Loaded as a classic script in the webview (window.ScimTraceView) and with require() in node tests.
// Type-checked (media/tsconfig.json); the types it names are in media/webview.d.ts.
// @ts-check
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.ScimTraceView = factory();
})(/** @type {Window} */ (typeof self !== 'undefined' ? self : this), function () {
  'use strict';

  var METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
  var MASK = /\u2022\u2022/; // "••" as written by the trace's masking

  /**
   * h(doc, 'td', {class: 'h-name'}, 'text', childEl, ...)
   * @param {Document} doc
   * @param {string} tag
   * @param {Attrs | null} [attrs]
   * @param {...Child} children
   * @returns {HTMLElement}
   */
  function h(doc, tag, attrs, ...children) {
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
    for (var i = 0; i < children.length; i++) append(doc, el, children[i]);
    return el;
  }

  /**
   * @param {Document} doc
   * @param {Node} el
   * @param {Child} child
   */
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

  /**
   * An element whose only content is `value` as text.
   * @param {Document} doc
   * @param {string} tag
   * @param {string | null} cls
   * @param {string | number | null | undefined} value
   * @returns {HTMLElement}
   */
  function text(doc, tag, cls, value) {
    var el = doc.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = value === undefined || value === null ? '' : String(value);
    return el;
  }

  /** @param {string | undefined} body */
  function prettyBody(body) {
    if (body === undefined || body === null || body === '') return '';
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch (e) {
      return String(body);
    }
  }

  /** @param {number | null | undefined} status */
  function statusClass(status) {
    if (!status) return 's-none';
    return 's' + String(status).charAt(0) + 'xx';
  }

  /** @param {number | undefined} v */
  function ms(v) {
    return typeof v === 'number' ? Math.round(v) + ' ms' : '';
  }

  // Characters never shown raw: controls, zero-width and bidi overrides (they could disguise a URL).
  // eslint-disable-next-line no-control-regex -- finding control characters is what it is for
  var HIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

  /**
   * An exchange row's path as shown, decoded once per row object (a 10,000-row filter decodes nothing twice).
   * @param {ExRow} ex
   */
  function shownPath(ex) {
    if (ex.shownPath === undefined) ex.shownPath = displayUrl(ex.path);
    return ex.shownPath;
  }

  /** A URL (or path) for reading: percent-escapes decoded (a malformed one kept as is), `+` kept, and any
   * invisible or direction-changing character put back as its escape. The exact URL is what is copied.
   * @param {string | null | undefined} url
   * @returns {string}
   */
  function displayUrl(url) {
    var s = String(url === undefined || url === null ? '' : url);
    if (s.indexOf('%') < 0) return s;
    var out;
    try {
      out = decodeURIComponent(s);
    } catch (e) {
      out = s.replace(/(%[0-9A-Fa-f]{2})+/g, function (m) {
        try { return decodeURIComponent(m); } catch (e2) { return m; }
      });
    }
    return out.replace(HIDDEN_CHARS, function (c) { return encodeURIComponent(c); });
  }

  // ---- filtering -----------------------------------------------------------------------------

  /** @param {string | null | undefined} query */
  function tokens(query) {
    return String(query || '').trim().split(/\s+/).filter(Boolean);
  }

  /** Does one exchange row (with its operation's title and profile) match every token of the query? The path
   * matches as sent and as shown (decoded).
   * @param {ExRow} ex
   * @param {string} opTitle
   * @param {string} query
   * @param {string} [profile]
   */
  function matches(ex, opTitle, query, profile) {
    var toks = tokens(query);
    if (!toks.length) return true;
    var hay = [ex.method, ex.path, shownPath(ex), ex.host, ex.status, opTitle, profile, ex.diagnosis, ex.error, ex.locationHost].join(' ').toLowerCase();
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
   * @param {string[]} opOrder
   * @param {Map<string, OpRow>} ops
   * @param {Map<string, ExRow[]>} exByOp
   * @param {string} query
   * @param {Set<string>} [collapsed]
   * @returns {ListRow[]}
   */
  function buildRows(opOrder, ops, exByOp, query, collapsed) {
    /** @type {ListRow[]} */
    var rows = [];
    var filtering = tokens(query).length > 0;
    for (var i = 0; i < opOrder.length; i++) {
      var op = ops.get(opOrder[i]);
      if (!op) continue;
      var opTitle = op.title;
      var opProfile = op.profile;
      var list = exByOp.get(op.id) || [];
      var shown = filtering ? list.filter(function (ex) { return matches(ex, opTitle, query, opProfile); }) : list;
      if (filtering && !shown.length) continue;
      rows.push({ kind: 'op', id: op.id, op: op, count: list.length });
      if (collapsed && collapsed.has(op.id)) continue;
      for (var j = 0; j < shown.length; j++) rows.push({ kind: 'ex', id: shown[j].id, ex: shown[j], op: op });
    }
    return rows;
  }

  /**
   * Rows [start, end) to draw for a scroll position.
   * @param {number} scrollTop
   * @param {number} viewport
   * @param {number} rowHeight
   * @param {number} total
   * @param {number} overscan
   */
  function visibleRange(scrollTop, viewport, rowHeight, total, overscan) {
    var first = Math.floor(Math.max(0, scrollTop) / rowHeight);
    var count = Math.ceil(viewport / rowHeight) + 1;
    var start = Math.max(0, first - overscan);
    var end = Math.min(total, first + count + overscan);
    return { start: start, end: Math.max(start, end) };
  }

  // ---- rows ----------------------------------------------------------------------------------

  /**
   * @param {'followed' | 'rewritten'} kind
   * @param {string} [host]
   */
  function locationTitle(kind, host) {
    return kind === 'followed'
      ? 'Sent to ' + (host || 'another origin') + ', taken from meta.location: no credentials, no gateway key (locations: follow)'
      : 'meta.location pointed at ' + (host || 'another origin') + ', not at the gateway: rewritten onto the gateway (locations: rewrite)';
  }

  /**
   * @param {Document} doc
   * @param {ListRow} row
   * @param {number} index
   * @param {ViewState} state
   * @returns {HTMLElement}
   */
  function renderRow(doc, row, index, state) {
    if (row.kind === 'op') {
      var op = row.op;
      var open = !(state.collapsed && state.collapsed.has(op.id));
      var note = op.diagnosis || op.progress || op.summary || '';
      var hosts = (op.locationHosts || []).join(', ');
      var mark = null;
      if (op.followed) mark = h(doc, 'span', { class: 'c-mark loc-followed', title: locationTitle('followed', hosts) }, '\u2197 ' + op.followed + ' sent off the gateway');
      else if (op.rewritten) mark = h(doc, 'span', { class: 'c-mark loc-rewritten', title: locationTitle('rewritten', hosts) }, '\u21C4 ' + op.rewritten + ' URL' + (op.rewritten === 1 ? '' : 's') + ' rewritten');
      return h(doc, 'div', {
        class: 'row op-row state-' + op.state + (op.severity ? ' sev-' + op.severity : '') + (mark ? ' has-location' : ''),
        role: 'treeitem', 'aria-level': '1', tabindex: index === state.focusIndex ? '0' : '-1',
        'data-index': index, 'data-id': op.id, 'aria-expanded': open ? 'true' : 'false',
      },
      text(doc, 'span', 'twisty', open ? '\u25BE' : '\u25B8'),
      text(doc, 'span', 'c-title', op.title),
      text(doc, 'span', 'c-profile', op.profile),
      mark,
      text(doc, 'span', 'c-note', note),
      text(doc, 'span', 'c-time', new Date(op.startedAt).toLocaleTimeString() + ' \u00B7 ' + row.count + ' ex'));
    }
    var ex = row.ex;
    var status = ex.status ? String(ex.status) : ex.state === 'failed' ? 'ERR' : '\u2026';
    var cls = 'row ex-row ' + statusClass(ex.status) + ' state-' + ex.state;
    if (ex.expected && !ex.diagnosis) cls += ' expected';
    if (ex.location) cls += ' loc-' + ex.location;
    if (state.selectedId === ex.id) cls += ' selected';
    if (state.compareIds && state.compareIds.indexOf(ex.id) >= 0) cls += ' compare';
    return h(doc, 'div', {
      class: cls, role: 'treeitem', 'aria-level': '2', tabindex: index === state.focusIndex ? '0' : '-1',
      'data-index': index, 'data-id': ex.id, 'data-method': ex.method, 'data-status': ex.status ? String(ex.status) : '',
      'aria-selected': state.selectedId === ex.id ? 'true' : 'false',
      title: ex.diagnosis || ex.error || (ex.location ? locationTitle(ex.location, ex.locationHost) : null) || ex.expected || undefined,
    },
    text(doc, 'span', 'c-method', ex.method),
    text(doc, 'span', 'c-path', shownPath(ex)),
    text(doc, 'span', 'c-status', status),
    text(doc, 'span', 'c-time', ms(ex.ms)),
    ex.attempt > 1 ? text(doc, 'span', 'c-attempt', 'try ' + ex.attempt) : null,
    ex.location ? h(doc, 'span', { class: 'c-loc loc-' + ex.location, title: locationTitle(ex.location, ex.locationHost), 'aria-label': locationTitle(ex.location, ex.locationHost) }, ex.location === 'followed' ? '\u2197' : '\u21C4') : null,
    ex.diagnosis ? text(doc, 'span', 'c-diag', '\u26A0') : null);
  }

  // ---- exchange detail -----------------------------------------------------------------------

  /**
   * @param {unknown} value
   * @param {number} index
   * @param {number[]} [revealable]
   */
  function isMasked(value, index, revealable) {
    return (revealable && revealable.indexOf(index) >= 0) || MASK.test(String(value));
  }

  /**
   * @param {Document} doc
   * @param {string | null} id
   * @param {string} cls
   * @param {HeaderList} headers
   * @param {{ exchangeId?: string, revealable?: number[], highlight?: Record<string, string> }} [opts]
   */
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

  /**
   * @param {Document} doc
   * @param {string} title
   */
  function section(doc, title) {
    return text(doc, 'h3', 'section', title);
  }

  /**
   * @param {Document} doc
   * @param {Banner | null | undefined} d
   */
  function diagnosisBanner(doc, d) {
    if (!d) return null;
    return h(doc, 'div', { class: 'diagnosis sev-' + (d.severity || 'error'), role: 'alert' },
      text(doc, 'strong', 'd-summary', d.summary),
      d.fix ? text(doc, 'span', 'd-fix', d.fix) : null,
      text(doc, 'span', 'd-code', d.code ? '(' + d.source + ': ' + d.code + ')' : ''));
  }

  /** @param {string | undefined} url */
  function hostOf(url) {
    var m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(String(url || ''));
    return m ? m[1] : '';
  }

  /**
   * The banner of an exchange whose URL came from the server and pointed at another origin.
   * @param {Document} doc
   * @param {TraceExchange['location']} loc
   */
  function locationBanner(doc, loc) {
    if (!loc) return null;
    var followed = !!loc.credentialsWithheld;
    var host = hostOf(followed ? loc.to : loc.from);
    return diagnosisBanner(doc, {
      severity: 'warning', source: 'location', code: followed ? 'location.followed-without-credentials' : 'location.rewritten',
      summary: followed
        ? 'Sent to ' + host + ', taken from meta.location, not to the gateway: credentials and the gateway key were withheld (locations: follow)'
        : 'meta.location pointed at ' + host + ', not at the gateway: rewritten onto the gateway (locations: rewrite)',
      fix: followed ? 'Use locations: rewrite, or have the gateway rewrite backend URLs (APIM policy redirect-content-urls).'
        : 'A client that follows meta.location leaves the gateway: have the gateway rewrite backend URLs (APIM policy redirect-content-urls).',
    });
  }

  /**
   * One exchange. `primary` gives the ids the e2e test reads (#req-headers, #res-headers); the
   * compare view renders two of these with classes only.
   * @param {Document} doc
   * @param {ShownExchange} msg
   * @param {boolean} primary
   */
  function renderExchange(doc, msg, primary) {
    var ex = msg.exchange;
    var req = ex.request;
    var res = ex.response;
    var root = h(doc, 'div', { class: 'exchange', 'data-id': ex.id });
    var diag = ex.diagnosis || (msg.operationDiagnosis && msg.operationDiagnosis.exchangeId === ex.id ? msg.operationDiagnosis : null);
    append(doc, root, diag ? diagnosisBanner(doc, diag) : locationBanner(doc, ex.location));
    if (diag && ex.location && diag.source !== 'location') {
      root.appendChild(text(doc, 'div', 'note location-note loc-' + (ex.location.credentialsWithheld ? 'followed' : 'rewritten'), locationTitle(ex.location.credentialsWithheld ? 'followed' : 'rewritten', hostOf(ex.location.credentialsWithheld ? ex.location.to : ex.location.from))));
    }
    if (ex.expected && !diag) root.appendChild(text(doc, 'div', 'note expected-note', 'Expected: ' + ex.expected));
    if (msg.operation) {
      root.appendChild(text(doc, 'div', 'op-title', msg.operation.title + ' \u2014 exchange ' + ex.seq + ' \u00B7 ' + msg.operation.profile));
    }

    root.appendChild(section(doc, 'Request'));
    var line = req.line || req.method + ' ' + req.url;
    root.appendChild(h(doc, 'div', { class: 'request-line', 'data-exact': line, title: 'Shown decoded; copied as sent' }, displayUrl(line)));
    var facts = ['URL: ' + displayUrl(req.url), 'key sent as: ' + ex.keySentAs];
    if (!req.wire) facts.push('headers as handed to the HTTP client (never written to a socket)');
    if (ex.attempt > 1) facts.push('attempt ' + ex.attempt + (ex.retryOf ? ' (retry of ' + ex.retryOf + ')' : ''));
    if (ex.redirectOf) facts.push('redirect from ' + ex.redirectOf);
    root.appendChild(h(doc, 'div', { class: 'facts' }, text(doc, 'span', 'facts-text', facts.join(' \u00B7 ')),
      h(doc, 'button', { type: 'button', class: 'copy-url', 'data-exchange': ex.id, title: 'Copy the URL exactly as sent (percent-encoded; secrets masked)' }, 'Copy URL')));
    root.appendChild(headerTable(doc, primary ? 'req-headers' : null, 'req-headers', req.headers || [], {
      exchangeId: ex.id, revealable: msg.revealable, highlight: msg.highlightReq,
    }));
    if (req.body) root.appendChild(text(doc, 'pre', 'body req-body', prettyBody(req.body)));

    root.appendChild(section(doc, 'Response'));
    if (res) {
      var by = 'answered by ' + res.answeredBy + (res.answeredWhy ? ' (' + res.answeredWhy + ')' : '');
      root.appendChild(text(doc, 'div', 'status-line ' + statusClass(res.status) + (ex.expected && !diag ? ' expected' : ''),
        'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '') + ' \u00B7 ' + by));
      root.appendChild(headerTable(doc, primary ? 'res-headers' : null, 'res-headers', res.headers || [], { highlight: msg.highlightRes }));
      if (res.body) root.appendChild(text(doc, 'pre', 'body res-body', prettyBody(res.body)));
      if (res.truncated && !ex.bodiesDropped) root.appendChild(text(doc, 'div', 'note', 'Body truncated at ' + res.bodySize + ' bytes.'));
    } else {
      root.appendChild(text(doc, 'div', 'status-line s-none', ex.state === 'pending' ? 'pending\u2026' : 'no response'));
    }
    if (ex.error) root.appendChild(text(doc, 'div', 'error', ex.error.code + ': ' + ex.error.message));

    var t = /** @type {TraceExchange['timings']} */ (ex.timings || {});
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
      root.appendChild(text(doc, 'div', 'location', ex.location.policy + ': ' + displayUrl(ex.location.from) + ' \u2192 ' + displayUrl(ex.location.to)
        + (ex.location.credentialsWithheld ? ' (credentials withheld: other origin)' : '')));
    }
    if (ex.warnings && ex.warnings.length) {
      var ul = h(doc, 'ul', { class: 'warnings' });
      for (var w = 0; w < ex.warnings.length; w++) ul.appendChild(text(doc, 'li', null, ex.warnings[w]));
      root.appendChild(ul);
    }
    return root;
  }

  /**
   * Header names (lower case) present in one list and not the other, and those whose values differ.
   * @param {HeaderList} [a]
   * @param {HeaderList} [b]
   */
  function headerDiff(a, b) {
    /** @param {HeaderList} list */
    function index(list) {
      /** @type {Record<string, string>} */
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

  /**
   * @param {string[]} only
   * @param {string[]} changed
   */
  function highlights(only, changed) {
    /** @type {Record<string, string>} */
    var m = {};
    for (var i = 0; i < changed.length; i++) m[changed[i]] = 'diff-changed';
    for (var j = 0; j < only.length; j++) m[only[j]] = 'diff-only';
    return m;
  }

  var DIFF_MAX_LEAVES = 5000;
  var DIFF_MAX_ROWS = 200;

  /** path -> JSON text of each leaf. Arrays of objects keyed by `value` or `id` (SCIM members, resources) are
   * indexed by that key, so one member added does not shift every later one.
   * @param {unknown} v
   * @param {string} path
   * @param {Map<string, string>} out
   * @param {number} depth
   */
  function flatten(v, path, out, depth) {
    if (out.size >= DIFF_MAX_LEAVES) return;
    if (v === null || typeof v !== 'object' || depth > 20) { out.set(path || '(body)', JSON.stringify(v)); return; }
    if (Array.isArray(v)) {
      /** @type {unknown[]} */
      var items = v;
      if (!items.length) { out.set(path || '(body)', '[]'); return; }
      var keyed = items.every(function (x) { return x && typeof x === 'object' && !Array.isArray(x) && (typeof asRecord(x).value === 'string' || typeof asRecord(x).id === 'string'); });
      for (var i = 0; i < items.length; i++) {
        var item = asRecord(items[i]);
        var k = keyed ? (typeof item.value === 'string' ? '[value=' + item.value + ']' : '[id=' + String(item.id) + ']') : '[' + i + ']';
        flatten(items[i], path + k, out, depth + 1);
      }
      return;
    }
    var obj = asRecord(v);
    var keys = Object.keys(obj);
    if (!keys.length) { out.set(path || '(body)', '{}'); return; }
    for (var j = 0; j < keys.length; j++) flatten(obj[keys[j]], path ? path + '.' + keys[j] : keys[j], out, depth + 1);
  }

  /**
   * A parsed JSON value read as an object (only where it is one; the property reads of anything else are undefined).
   * @param {unknown} v
   * @returns {Record<string, unknown>}
   */
  function asRecord(v) {
    return /** @type {Record<string, unknown>} */ (v);
  }

  /**
   * Differences between two bodies: JSON compared leaf by leaf, anything else as whole text.
   * @param {string | undefined} aText
   * @param {string | undefined} bText
   * @returns {BodyDiff}
   */
  function bodyDiff(aText, bText) {
    var a = aText || '', b = bText || '';
    if (a === b) return { rows: [], more: 0 };
    /** @type {unknown} */
    var A;
    /** @type {unknown} */
    var B;
    try { A = a ? JSON.parse(a) : undefined; B = b ? JSON.parse(b) : undefined; } catch (e) {
      return { rows: [{ path: '(body, not JSON)', a: a ? a.length + ' characters' : '(none)', b: b ? b.length + ' characters' : '(none)', kind: 'changed' }], more: 0 };
    }
    /** @type {Map<string, string>} */
    var fa = new Map();
    /** @type {Map<string, string>} */
    var fb = new Map();
    if (A !== undefined) flatten(A, '', fa, 0);
    if (B !== undefined) flatten(B, '', fb, 0);
    /** @type {DiffRow[]} */
    var rows = [];
    var more = 0;
    /** @param {DiffRow} r */
    function add(r) { if (rows.length < DIFF_MAX_ROWS) rows.push(r); else more++; }
    fa.forEach(function (va, k) {
      if (!fb.has(k)) add({ path: k, a: va, b: '(absent)', kind: 'onlyA' });
      else if (fb.get(k) !== va) add({ path: k, a: va, b: fb.get(k), kind: 'changed' });
    });
    fb.forEach(function (vb, k) { if (!fa.has(k)) add({ path: k, a: '(absent)', b: vb, kind: 'onlyB' }); });
    return { rows: rows, more: more };
  }

  /**
   * @param {Document} doc
   * @param {string} title
   * @param {BodyDiff} d
   */
  function diffTable(doc, title, d) {
    var table = h(doc, 'table', { class: 'headers body-diff' },
      h(doc, 'tr', null, text(doc, 'th', null, 'path'), text(doc, 'th', null, 'left'), text(doc, 'th', null, 'right')));
    for (var i = 0; i < d.rows.length; i++) {
      var r = d.rows[i];
      table.appendChild(h(doc, 'tr', { class: r.kind === 'changed' ? 'diff-changed' : 'diff-only' },
        text(doc, 'td', 'h-name', r.path), text(doc, 'td', 'h-value d-left', r.a), text(doc, 'td', 'h-value d-right', r.b)));
    }
    return h(doc, 'div', { class: 'diff-block' }, text(doc, 'h3', 'section', title + ': ' + (d.rows.length + d.more) + ' difference' + (d.rows.length + d.more === 1 ? '' : 's')),
      d.rows.length ? table : null, d.more ? text(doc, 'div', 'note', 'and ' + d.more + ' more') : null);
  }

  /**
   * @param {Document} doc
   * @param {ShownExchange} a
   * @param {ShownExchange} b
   */
  function renderCompare(doc, a, b) {
    var req = headerDiff(a.exchange.request.headers, b.exchange.request.headers);
    var res = headerDiff(a.exchange.response ? a.exchange.response.headers : [], b.exchange.response ? b.exchange.response.headers : []);
    var reqBody = bodyDiff(a.exchange.request.body, b.exchange.request.body);
    var resBody = bodyDiff(a.exchange.response && a.exchange.response.body, b.exchange.response && b.exchange.response.body);
    var left = Object.assign({}, a, { highlightReq: highlights(req.onlyA, req.changed), highlightRes: highlights(res.onlyA, res.changed) });
    var right = Object.assign({}, b, { highlightReq: highlights(req.onlyB, req.changed), highlightRes: highlights(res.onlyB, res.changed) });
    var summary = [];
    if (req.onlyA.length) summary.push('only in left request: ' + req.onlyA.join(', '));
    if (req.onlyB.length) summary.push('only in right request: ' + req.onlyB.join(', '));
    if (!summary.length) summary.push('same request header names');
    summary.push('request bodies: ' + (reqBody.rows.length ? (reqBody.rows.length + reqBody.more) + ' differences' : 'same'));
    summary.push('response bodies: ' + (resBody.rows.length ? (resBody.rows.length + resBody.more) + ' differences' : 'same'));
    return h(doc, 'div', { class: 'compare-root' },
      h(doc, 'div', { class: 'compare-head' },
        text(doc, 'span', 'compare-summary', summary.join(' \u00B7 ')),
        h(doc, 'button', { type: 'button', id: 'close-compare' }, 'Close')),
      reqBody.rows.length ? diffTable(doc, 'Request body', reqBody) : null,
      resBody.rows.length ? diffTable(doc, 'Response body', resBody) : null,
      h(doc, 'div', { class: 'compare-cols' },
        h(doc, 'div', { class: 'col col-a' }, renderExchange(doc, left, false)),
        h(doc, 'div', { class: 'col col-b' }, renderExchange(doc, right, false))));
  }

  /**
   * @param {Document} doc
   * @param {ProbeMessage} msg
   */
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
      // an answer the probe expected (404 on its made-up group, 412, 400 to its malformed body) is not drawn as an error
      text(doc, 'td', 'p-status ' + (r.verdict === 'fail' ? statusClass(r.status) + ' p-bad' : 'p-expected'), r.status === null ? '\u2014' : r.status), text(doc, 'td', null, r.answeredBy),
      text(doc, 'td', 'p-verdict', r.verdict), text(doc, 'td', null, r.detail)));
    }
    var findings = msg.findings || [];
    var list = findings.length ? h(doc, 'ul', { class: 'probe-findings' }) : null;
    for (var f = 0; f < findings.length; f++) {
      var fd = findings[f];
      /** @type {HTMLElement} */ (list).appendChild(h(doc, 'li', { class: 'finding sev-' + (fd.severity || 'warning'), 'data-exchange': (fd.exchangeIds && fd.exchangeIds[0]) || undefined, tabindex: fd.exchangeIds && fd.exchangeIds.length ? '0' : undefined },
        text(doc, 'strong', 'f-message', fd.message), fd.fix ? text(doc, 'span', 'f-fix', ' ' + fd.fix) : null));
    }
    return h(doc, 'div', { class: 'probe-root' },
      h(doc, 'div', { class: 'probe-head' }, text(doc, 'strong', null, 'Gateway probe \u00B7 ' + msg.profile),
        h(doc, 'button', { type: 'button', id: 'close-probe' }, 'Close')),
      table, list);
  }

  return {
    h: h, text: text, prettyBody: prettyBody, statusClass: statusClass, matches: matches, buildRows: buildRows,
    visibleRange: visibleRange, renderRow: renderRow, renderExchange: renderExchange, renderCompare: renderCompare,
    renderProbe: renderProbe, headerDiff: headerDiff, bodyDiff: bodyDiff, isMasked: isMasked, displayUrl: displayUrl,
  };
});
