// Waits (429 Retry-After, backoff before a retry) shown as a live countdown that can be cancelled.
// A command that already shows a progress notification registers it for its AbortSignal: the countdown then
// runs in that notification, and its Cancel button stops the operation. Any other operation (a tree listing,
// a label lookup) that has to wait gets a cancellable notification of its own for the time of the wait.
import * as vscode from 'vscode';
import type { WaitNotice } from '../core/http/types';
import { countDown, countdownText } from '../core/http/retry';

type Reporter = vscode.Progress<{ message?: string; increment?: number }>;

/** Waits shorter than this are not worth a notification of their own (the trace still shows them). */
const NOTIFY_FROM_MS = 1500;

export class Waits implements vscode.Disposable {
  private readonly reporters = new Map<AbortSignal, Reporter>();
  /** Countdowns running now, stopped on dispose. */
  private readonly running = new Set<() => void>();

  constructor(private readonly log?: vscode.LogOutputChannel) {}

  /** Runs `body` under a cancellable progress notification: Cancel aborts the signal it gets, and the waits of
   * what it sends count down in that notification. */
  run<T>(title: string, body: (progress: Reporter, signal: AbortSignal) => Promise<T>): Thenable<T> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      const subs = [token.onCancellationRequested(() => abort.abort()), this.register(abort.signal, progress)];
      try {
        return await body(progress, abort.signal);
      } finally {
        for (const d of subs) d.dispose();
      }
    });
  }

  /** While `signal`'s operation runs, its waits count down in `progress`. */
  register(signal: AbortSignal, progress: Reporter): vscode.Disposable {
    this.reporters.set(signal, progress);
    return { dispose: () => { if (this.reporters.get(signal) === progress) this.reporters.delete(signal); } };
  }

  show(n: WaitNotice): void {
    this.log?.info(`${n.operation.title}: ${countdownText(n.until - Date.now(), n.reason)}`);
    const own = n.signal ? this.reporters.get(n.signal) : undefined;
    if (own) {
      // after the wait, the command's own progress says what it does next, not "waiting 1 s"
      this.countdown(n, (text) => own.report({ message: text }), () => own.report({ message: `retrying (${n.reason})` }));
      return;
    }
    if (n.ms < NOTIFY_FROM_MS) return;
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `SCIM: ${n.operation.title}`, cancellable: true },
      (progress, token) => new Promise<void>((resolve) => {
        let stop = (): void => undefined;
        const sub = token.onCancellationRequested(() => { n.cancel(); stop(); });
        stop = this.countdown(n, (text) => progress.report({ message: text }), () => { sub.dispose(); resolve(); });
      }),
    );
  }

  dispose(): void {
    for (const stop of [...this.running]) stop();
    this.reporters.clear();
  }

  /** countDown, remembered until it ends so that dispose can stop it. */
  private countdown(n: WaitNotice, render: (text: string) => void, done?: () => void): () => void {
    // assigned once countDown returns: its callback may run before that (a wait already over)
    let stop: (() => void) | undefined = undefined;
    let ended = false;
    stop = countDown(n, render, () => { ended = true; if (stop) this.running.delete(stop); done?.(); });
    if (!ended) this.running.add(stop); // a wait already over ends within countDown
    return stop;
  }
}
