// The "SCIM" log output channel: one masked line per finished exchange, straight from trace events
// (the trace is masked before anything enters it; no headers or bodies are logged).
import type * as vscode from 'vscode';
import type { Exchange, Trace } from '../core/trace';
import { exchangeLogLine } from './messages';

export function logExchanges(trace: Trace, log: vscode.LogOutputChannel): () => void {
  const logged = new WeakSet<Exchange>();
  return trace.onEvent((e) => {
    if (e.type !== 'exchange' || e.exchange.state === 'pending' || logged.has(e.exchange)) return;
    logged.add(e.exchange);
    const line = exchangeLogLine(e.operation, e.exchange);
    if (e.exchange.state === 'failed' || (e.exchange.response?.status ?? 0) >= 400) log.warn(line);
    else log.info(line);
  });
}
