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
/** An operation's progress notification opens after this long (or when it has to wait). */
const PROGRESS_AFTER_MS = 500;

export class Waits implements vscode.Disposable {
  private readonly reporters = new Map<AbortSignal, Reporter>();
  /** Opens the progress notification of an operation run by `run` that has not shown it yet. */
  private readonly reveals = new Map<AbortSignal, () => void>();
  /** Countdowns running now, stopped on dispose. */
  private readonly running = new Set<() => void>();

  constructor(private readonly log?: vscode.LogOutputChannel) {}

  /** Runs `body` under a cancellable progress notification: Cancel aborts the signal it gets, and the waits of
   * what it sends count down in that notification. The notification opens only once the operation has taken
   * PROGRESS_AFTER_MS (or at once when it has to wait): a quick change shows its result alone. VS Code shows at
   * most 3 new toasts in 800 ms and puts the rest silently in the notification center, so a progress toast per
   * quick change could push the result (a loss, a restore) out of sight. */
  run<T>(title: string, body: (progress: Reporter, signal: AbortSignal) => Promise<T>): Thenable<T> {
    const abort = new AbortController();
    let shown: Reporter | undefined;
    let pending: { message?: string; increment: number } = { increment: 0 };
    const buffered: Reporter = {
      report: (v) => {
        if (shown) return shown.report(v);
        pending = { message: v.message ?? pending.message, increment: pending.increment + (v.increment ?? 0) };
      },
    };
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const reveal = (): void => {
      if (timer === undefined || done) return;
      clearTimeout(timer);
      timer = undefined;
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
        shown = progress;
        if (pending.message !== undefined || pending.increment) progress.report(pending);
        const sub = token.onCancellationRequested(() => abort.abort());
        return work.then(() => sub.dispose(), () => sub.dispose());
      });
    };
    timer = setTimeout(reveal, PROGRESS_AFTER_MS);
    this.reveals.set(abort.signal, reveal);
    const sub = this.register(abort.signal, buffered);
    const work = Promise.resolve().then(() => body(buffered, abort.signal)).finally(() => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      this.reveals.delete(abort.signal);
      sub.dispose();
    });
    return work;
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
      if (n.signal) this.reveals.get(n.signal)?.();
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
    let stop: (() => void) | undefined;
    let ended = false;
    stop = countDown(n, render, () => { ended = true; if (stop) this.running.delete(stop); done?.(); });
    if (!ended) this.running.add(stop); // a wait already over ends within countDown
    return stop;
  }
}
