// Connector compatibility panel: a click on an exchange button asks the host to open the trace there.
// Nothing is rendered here: the host writes the (escaped) table.
(function () {
  const vscode = acquireVsCodeApi();
  document.addEventListener('click', (ev) => {
    const t = ev.target;
    const b = t && t.closest ? t.closest('button.open') : null;
    if (b && b.dataset.exchange) vscode.postMessage({ type: 'open', exchangeId: b.dataset.exchange });
  });
})();
