// Connector compatibility panel: a click on an exchange button asks the host to open the trace there.
// Nothing is rendered here: the host writes the (escaped) table.
// Type-checked (media/tsconfig.json).
// @ts-check
(function () {
  /** @type {WebviewApi<unknown, { type: 'open', exchangeId: string }>} */
  const vscode = acquireVsCodeApi();
  document.addEventListener('click', (ev) => {
    const t = /** @type {Element | null} */ (ev.target);
    const b = t && t.closest ? /** @type {HTMLElement | null} */ (t.closest('button.open')) : null;
    if (b && b.dataset.exchange) vscode.postMessage({ type: 'open', exchangeId: b.dataset.exchange });
  });
})();
