// SCIM Trace panel: the webview app. Plain DOM, no framework. Rendering helpers live in trace-view.js
// (textContent only). The list is virtual: only the rows in view exist in the DOM, so 10,000 exchanges
// stay fast. The host sends a snapshot once, then batched updates; full exchanges only on selection.
// Type-checked (media/tsconfig.json); the types it names are in media/webview.d.ts.
// @ts-check
(function () {
  'use strict';
  var V = window.ScimTraceView;
  /** @type {WebviewApi<{ query?: string, selectedId?: string | null }>} */
  var vscode = acquireVsCodeApi();
  var ROW_H = 22;
  var OVERSCAN = 8;

  /** @type {Map<string, OpRow>} */
  var ops = new Map();        // opId -> OpRow
  /** @type {Map<string, ExRow[]>} */
  var exByOp = new Map();     // opId -> ExRow[] (by seq)
  /** @type {Map<string, ExRow>} */
  var exById = new Map();     // exId -> ExRow
  /** @type {string[]} */
  var opOrder = [];           // newest first
  /** @type {Set<string>} */
  var collapsed = new Set();
  /** @type {ListRow[]} */
  var rows = [];
  var saved = vscode.getState() || {};
  /** @type {ViewState & { collapsed: Set<string> }} */
  var state = { focusIndex: 0, selectedId: saved.selectedId || null, compareIds: [], collapsed: collapsed };
  var query = saved.query || '';
  /** @type {{ a: DetailMessage | null, b: DetailMessage | null }} */
  var compareData = { a: null, b: null };
  /** @type {Map<string, string>} */
  var revealedValues = new Map(); // "exId:index" -> raw value (this session only, never persisted)

  /**
   * An element of the panel's HTML, which has them all (src/extension/trace-html.ts).
   * @param {string} id
   */
  function byId(id) {
    return /** @type {HTMLElement} */ (document.getElementById(id));
  }

  var $list = byId('list');
  var $spacer = byId('spacer');
  var $filter = /** @type {HTMLInputElement} */ (byId('filter'));
  var $detail = byId('detail');
  var $compare = byId('compare');
  var $probe = byId('probe');
  var $count = byId('count');
  var $hint = byId('hint');
  var $copy = byId('copy-curl');
  var $exportOp = byId('export-op');
  $filter.value = query;

  function persist() {
    vscode.setState({ query: query, selectedId: state.selectedId });
  }

  // ---- model -------------------------------------------------------------------------------

  /** @param {OpRow} op */
  function upsertOp(op) {
    if (!ops.has(op.id)) {
      opOrder.push(op.id);
      needsSort = true;
    }
    ops.set(op.id, op);
  }

  /** @param {ExRow} ex */
  function upsertEx(ex) {
    var list = exByOp.get(ex.op);
    if (!list) exByOp.set(ex.op, (list = []));
    if (exById.has(ex.id)) {
      for (var i = 0; i < list.length; i++) if (list[i].id === ex.id) { list[i] = ex; break; }
    } else {
      list.push(ex);
      if (list.length > 1 && list[list.length - 2].seq > ex.seq) list.sort(function (a, b) { return a.seq - b.seq; });
    }
    exById.set(ex.id, ex);
  }

  /** @param {string} id */
  function dropOp(id) {
    var list = exByOp.get(id) || [];
    for (var i = 0; i < list.length; i++) exById.delete(list[i].id);
    exByOp.delete(id);
    ops.delete(id);
    collapsed.delete(id);
    opOrder = opOrder.filter(function (x) { return x !== id; });
  }

  function reset() {
    ops.clear(); exByOp.clear(); exById.clear(); collapsed.clear(); opOrder = [];
  }

  var needsSort = false;
  /**
   * An operation in the list (opOrder holds only those in `ops`).
   * @param {string} id
   */
  function opOf(id) {
    return /** @type {OpRow} */ (ops.get(id));
  }

  function rebuild() {
    if (needsSort) {
      opOrder.sort(function (a, b) { return opOf(b).startedAt - opOf(a).startedAt; });
      needsSort = false;
    }
    rows = V.buildRows(opOrder, ops, exByOp, query, collapsed);
    if (state.focusIndex >= rows.length) state.focusIndex = Math.max(0, rows.length - 1);
    $spacer.style.height = rows.length * ROW_H + 'px';
    var shown = 0;
    for (var i = 0; i < rows.length; i++) if (rows[i].kind === 'ex') shown++;
    $count.textContent = ops.size + ' operations \u00B7 ' + exById.size + ' exchanges' + (query ? ' \u00B7 ' + shown + ' shown' : '');
    renderVisible();
    syncDetail(shown);
  }

  // The detail shows the selected exchange only while the list shows it: a filter that hides it (or matches
  // nothing) hides the detail too, so it never shows an exchange of another profile or operation than the list.
  var HINT = $hint.textContent;
  var hiddenByFilter = false;
  /** @param {number} shown */
  function syncDetail(shown) {
    var comparing = !$compare.hidden;
    var sel = state.selectedId ? exById.get(state.selectedId) : null;
    var selOp = sel ? ops.get(sel.op) : null;
    if (state.selectedId && !sel) {
      // dropped from the trace (cleared, or past its cap): nothing stale stays on screen
      state.selectedId = null;
      hiddenByFilter = false;
      persist();
      $detail.hidden = true;
      while ($detail.firstChild) $detail.removeChild($detail.firstChild);
      $copy.setAttribute('disabled', '');
      $exportOp.setAttribute('disabled', '');
    }
    // hidden by the filter (a collapsed operation keeps its detail)
    var filteredOut = !!sel && !!query && !V.matches(sel, selOp ? selOp.title : '', query, selOp ? selOp.profile : '');
    if (filteredOut) {
      hiddenByFilter = true;
      $detail.hidden = true;
      $hint.hidden = false;
      $hint.textContent = query
        ? (shown ? 'The selected exchange is hidden by the filter \u201C' + query + '\u201D: select one of the ' + shown + ' shown.' : 'No exchange matches \u201C' + query + '\u201D.')
        : HINT;
      return;
    }
    if (!state.selectedId) {
      $hint.textContent = query && !shown ? 'No exchange matches \u201C' + query + '\u201D.' : HINT;
      return;
    }
    if (hiddenByFilter) {
      hiddenByFilter = false;
      $hint.textContent = HINT;
      $hint.hidden = true;
      if (!comparing) select(state.selectedId);
    }
  }

  var rebuildPending = false;
  function scheduleRebuild() {
    if (rebuildPending) return;
    rebuildPending = true;
    requestAnimationFrame(function () { rebuildPending = false; rebuild(); });
  }

  // ---- virtual list ------------------------------------------------------------------------

  function renderVisible() {
    var range = V.visibleRange($list.scrollTop, $list.clientHeight || 400, ROW_H, rows.length, OVERSCAN);
    var hadFocus = $list.contains(document.activeElement) && document.activeElement !== $list;
    while ($spacer.firstChild) $spacer.removeChild($spacer.firstChild);
    for (var i = range.start; i < range.end; i++) {
      var el = V.renderRow(document, rows[i], i, state);
      el.style.transform = 'translateY(' + i * ROW_H + 'px)';
      $spacer.appendChild(el);
    }
    if (hadFocus) focusRow(state.focusIndex, false);
  }

  /** @param {number} index */
  function rowEl(index) {
    return /** @type {HTMLElement | null} */ ($spacer.querySelector('.row[data-index="' + index + '"]'));
  }

  /** @param {number} index */
  function ensureVisible(index) {
    var top = index * ROW_H;
    if (top < $list.scrollTop) $list.scrollTop = top;
    else if (top + ROW_H > $list.scrollTop + $list.clientHeight) $list.scrollTop = top + ROW_H - $list.clientHeight;
  }

  /**
   * @param {number} index
   * @param {boolean} scroll
   */
  function focusRow(index, scroll) {
    if (!rows.length) return;
    state.focusIndex = Math.max(0, Math.min(rows.length - 1, index));
    if (scroll) { ensureVisible(state.focusIndex); renderVisible(); }
    var el = rowEl(state.focusIndex);
    if (el) { el.setAttribute('tabindex', '0'); el.focus({ preventScroll: true }); }
  }

  $list.addEventListener('scroll', function () { requestAnimationFrame(renderVisible); });
  window.addEventListener('resize', function () { requestAnimationFrame(renderVisible); });
  $list.addEventListener('focus', function (e) { if (e.target === $list) focusRow(state.focusIndex, true); });

  /**
   * @param {number} index
   * @param {boolean} multi
   */
  function activate(index, multi) {
    var row = rows[index];
    if (!row) return;
    state.focusIndex = index;
    if (row.kind === 'op') {
      if (collapsed.has(row.id)) collapsed.delete(row.id); else collapsed.add(row.id);
      rebuild();
      focusRow(index, true);
      return;
    }
    if (multi) toggleCompare(row.id);
    else select(row.id);
    renderVisible();
    focusRow(index, false);
  }

  /**
   * The element an event happened on (every event handled here comes from an element).
   * @param {Event} e
   */
  function targetOf(e) {
    return /** @type {Element} */ (e.target);
  }

  $list.addEventListener('click', function (e) {
    var el = targetOf(e).closest ? targetOf(e).closest('.row') : null;
    if (!el) return;
    activate(Number(el.getAttribute('data-index')), e.ctrlKey || e.metaKey);
  });

  $list.addEventListener('keydown', function (e) {
    var i = state.focusIndex;
    switch (e.key) {
      case 'ArrowDown': focusRow(i + 1, true); break;
      case 'ArrowUp': focusRow(i - 1, true); break;
      case 'PageDown': focusRow(i + Math.floor($list.clientHeight / ROW_H), true); break;
      case 'PageUp': focusRow(i - Math.floor($list.clientHeight / ROW_H), true); break;
      case 'Home': focusRow(0, true); break;
      case 'End': focusRow(rows.length - 1, true); break;
      case 'Enter': case ' ': activate(i, e.ctrlKey || e.metaKey); break;
      case 'ArrowLeft': case 'ArrowRight': {
        var row = rows[i];
        if (row && row.kind === 'op' && (e.key === 'ArrowLeft') !== collapsed.has(row.id)) activate(i, false);
        break;
      }
      default: return;
    }
    e.preventDefault();
  });

  // ---- selection, detail, compare ----------------------------------------------------------

  /** @param {string} id */
  function select(id) {
    state.selectedId = id;
    hiddenByFilter = false;
    persist();
    $copy.removeAttribute('disabled');
    $exportOp.removeAttribute('disabled');
    $detail.hidden = !$compare.hidden;
    $hint.hidden = true;
    $hint.textContent = HINT;
    if (!$detail.firstChild) $detail.appendChild(V.text(document, 'div', 'loading', 'Loading\u2026'));
    vscode.postMessage({ type: 'detail', exchangeId: id, slot: 'detail' });
  }

  /** @param {string} id */
  function toggleCompare(id) {
    var ids = state.compareIds;
    var at = ids.indexOf(id);
    if (at >= 0) { ids.splice(at, 1); return; }
    if (!ids.length && state.selectedId && state.selectedId !== id) ids.push(state.selectedId);
    ids.push(id);
    while (ids.length > 2) ids.shift();
    if (ids.length === 2) {
      compareData = { a: null, b: null };
      vscode.postMessage({ type: 'detail', exchangeId: ids[0], slot: 'a' });
      vscode.postMessage({ type: 'detail', exchangeId: ids[1], slot: 'b' });
    }
  }

  /** @param {ParentNode} container */
  function withRevealed(container) {
    revealedValues.forEach(function (value, key) {
      var parts = key.split(':');
      showRevealed(container, parts[0], Number(parts[1]), value);
    });
  }

  /** @param {DetailMessage} msg */
  function showDetail(msg) {
    while ($detail.firstChild) $detail.removeChild($detail.firstChild);
    $detail.appendChild(V.renderExchange(document, msg, true));
    withRevealed($detail);
  }

  // The compare view takes the single detail's place (above the list's detail, never below it); closing it
  // brings the detail back.
  /**
   * @param {DetailMessage} a
   * @param {DetailMessage} b
   */
  function showCompare(a, b) {
    while ($compare.firstChild) $compare.removeChild($compare.firstChild);
    $compare.appendChild(V.renderCompare(document, a, b));
    $compare.hidden = false;
    $detail.hidden = true;
    withRevealed($compare);
  }

  function closeCompare() {
    state.compareIds = [];
    $compare.hidden = true;
    if (state.selectedId && !hiddenByFilter) $detail.hidden = false;
    renderVisible();
  }

  /**
   * @param {ParentNode} container
   * @param {string} exchangeId
   * @param {number} index
   * @param {string} value
   */
  function showRevealed(container, exchangeId, index, value) {
    var cells = container.querySelectorAll('.exchange[data-id="' + CSS.escape(exchangeId) + '"] .req-headers td.h-value[data-index="' + index + '"]');
    cells.forEach(function (cell) {
      var v = cell.querySelector('.v');
      if (!v) return;
      if (!cell.hasAttribute('data-masked')) cell.setAttribute('data-masked', /** @type {string} */ (v.textContent));
      v.textContent = value;
      var b = /** @type {ParentNode} */ (cell.parentNode).querySelector('button.reveal');
      if (b) { b.textContent = 'hide'; b.classList.add('revealed'); }
    });
  }

  /**
   * @param {string} exchangeId
   * @param {number} index
   */
  function hideRevealed(exchangeId, index) {
    revealedValues.delete(exchangeId + ':' + index);
    document.querySelectorAll('.exchange[data-id="' + CSS.escape(exchangeId) + '"] .req-headers td.h-value[data-index="' + index + '"]').forEach(function (cell) {
      var v = cell.querySelector('.v');
      if (v && cell.hasAttribute('data-masked')) v.textContent = cell.getAttribute('data-masked');
      var b = /** @type {ParentNode} */ (cell.parentNode).querySelector('button.reveal');
      if (b) { b.textContent = 'reveal'; b.classList.remove('revealed'); }
    });
  }

  document.addEventListener('click', function (e) {
    var t = /** @type {Element | null} */ (e.target);
    if (!t || !t.closest) return;
    var reveal = t.closest('button.reveal');
    if (reveal) {
      var exId = reveal.getAttribute('data-exchange');
      var idx = Number(reveal.getAttribute('data-index'));
      if (exId === null) return; // every reveal button names its exchange
      if (reveal.classList.contains('revealed')) hideRevealed(exId, idx);
      else vscode.postMessage({ type: 'reveal', exchangeId: exId, index: idx });
      return;
    }
    var copyUrl = t.closest('button.copy-url');
    if (copyUrl) {
      var urlOf = copyUrl.getAttribute('data-exchange');
      if (urlOf !== null) vscode.postMessage({ type: 'copyUrl', exchangeId: urlOf });
      return;
    }
    if (t.closest('#close-compare')) { closeCompare(); return; }
    if (t.closest('#close-probe')) { $probe.hidden = true; return; }
    var probeRow = t.closest('.probe-table tr[data-exchange], .probe-findings li[data-exchange]');
    if (probeRow) selectById(probeRow.getAttribute('data-exchange'));
  });
  // A URL is shown decoded; copying all of it copies it exactly as sent.
  document.addEventListener('copy', function (e) {
    var sel = window.getSelection ? window.getSelection() : null;
    if (!sel || sel.isCollapsed || !e.clipboardData) return;
    var node = /** @type {Element | null} */ (sel.anchorNode && (sel.anchorNode.nodeType === 1 ? sel.anchorNode : sel.anchorNode.parentNode));
    var exact = node && node.closest ? node.closest('[data-exact]') : null;
    if (!exact || !exact.contains(sel.focusNode) || sel.toString() !== exact.textContent) return;
    e.clipboardData.setData('text/plain', /** @type {string} */ (exact.getAttribute('data-exact')));
    e.preventDefault();
  });
  $probe.addEventListener('keydown', function (e) {
    var target = /** @type {Element | null} */ (e.target);
    var row = target && target.closest ? target.closest('[data-exchange]') : null;
    if (!row || (e.key !== 'Enter' && e.key !== ' ')) return;
    e.preventDefault();
    selectById(row.getAttribute('data-exchange'));
  });

  /** @param {string | null} id */
  function selectById(id) {
    if (id === null) return;
    var ex = exById.get(id);
    if (!ex) return;
    if (collapsed.has(ex.op)) collapsed.delete(ex.op);
    var index = rows.findIndex(function (r) { return r.id === id; });
    if (index < 0 && query) { query = ''; $filter.value = ''; }
    rebuild();
    index = rows.findIndex(function (r) { return r.id === id; });
    if (index < 0) return;
    state.focusIndex = index;
    ensureVisible(index);
    select(id);
    renderVisible();
  }

  // ---- toolbar -----------------------------------------------------------------------------

  var filterTimer = 0;
  $filter.addEventListener('input', function () {
    window.clearTimeout(filterTimer);
    // short: filtering 10,000 rows takes under 10 ms (bench/panel.ts); the pause only merges fast keystrokes
    filterTimer = window.setTimeout(function () { query = $filter.value; persist(); $list.scrollTop = 0; rebuild(); }, 30);
  });
  $filter.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowDown') { e.preventDefault(); focusRow(0, true); }
  });
  byId('export-har').addEventListener('click', function () { vscode.postMessage({ type: 'exportHar' }); });
  $exportOp.addEventListener('click', function () {
    var ex = state.selectedId ? exById.get(state.selectedId) : null;
    if (ex) vscode.postMessage({ type: 'exportHar', operationId: ex.op });
  });
  byId('clear').addEventListener('click', function () { vscode.postMessage({ type: 'clear' }); });
  $copy.addEventListener('click', function () {
    if (state.selectedId) vscode.postMessage({ type: 'copyCurl', exchangeId: state.selectedId });
  });

  // ---- messages from the host --------------------------------------------------------------

  window.addEventListener('message', /** @param {MessageEvent<HostMessage | null | undefined>} event */ function (event) {
    var m = event.data;
    if (!m || typeof m.type !== 'string') return;
    switch (m.type) {
      case 'snapshot':
        reset();
        m.ops.forEach(upsertOp);
        m.exchanges.forEach(upsertEx);
        rebuild();
        if (state.selectedId && exById.has(state.selectedId) && !hiddenByFilter) select(state.selectedId);
        break;
      case 'update': {
        if (m.cleared) {
          reset();
          state.selectedId = null; state.compareIds = [];
          $detail.hidden = true; $compare.hidden = true; $hint.hidden = false;
          $copy.setAttribute('disabled', '');
          $exportOp.setAttribute('disabled', '');
        }
        m.dropped.forEach(dropOp);
        m.ops.forEach(upsertOp);
        var refreshSelected = false;
        m.exchanges.forEach(function (ex) {
          upsertEx(ex);
          if (ex.id === state.selectedId) refreshSelected = true;
        });
        if (refreshSelected && state.selectedId) vscode.postMessage({ type: 'detail', exchangeId: state.selectedId, slot: 'detail' });
        scheduleRebuild();
        break;
      }
      case 'detail':
        if (m.slot === 'detail') {
          if (m.exchange.id === state.selectedId) showDetail(m);
        } else {
          compareData[m.slot] = m;
          if (compareData.a && compareData.b) showCompare(compareData.a, compareData.b);
        }
        break;
      case 'revealed':
        if (typeof m.value === 'string') {
          revealedValues.set(m.exchangeId + ':' + m.index, m.value);
          showRevealed(document, m.exchangeId, m.index, m.value);
        }
        break;
      case 'probe':
        while ($probe.firstChild) $probe.removeChild($probe.firstChild);
        $probe.appendChild(V.renderProbe(document, m));
        $probe.hidden = false;
        break;
      case 'select':
        selectById(m.exchangeId);
        break;
    }
  });

  vscode.postMessage({ type: 'ready' });
})();
