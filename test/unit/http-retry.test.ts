import { test } from 'node:test';
import assert from 'node:assert/strict';
import { announcedSleep, backoffMs, countDown, countdownText, parseRetryAfter, sleep, BACKOFF_MAX_MS } from '../../src/core/http/retry';
import { ScimxError } from '../../src/core/errors';

test('Retry-After: seconds and HTTP dates', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('26', now), 26_000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now), 10_000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

test('backoff grows exponentially with jitter and is capped', () => {
  assert.equal(backoffMs(1, () => 1), 250);
  assert.equal(backoffMs(1, () => 0), 125);
  assert.equal(backoffMs(3, () => 1), 1000);
  assert.equal(backoffMs(30, () => 1), BACKOFF_MAX_MS);
});

test('sleep is cancellable', async () => {
  const ac = new AbortController();
  const p = sleep(60_000, ac.signal);
  ac.abort();
  await assert.rejects(p, (e: unknown) => e instanceof ScimxError && e.code === 'cancelled');
});

test('countdownText: seconds, then minutes and seconds; never negative', () => {
  assert.equal(countdownText(25_100, '429 Retry-After'), 'waiting 26 s (429 Retry-After)');
  assert.equal(countdownText(65_000, '503'), 'waiting 1 min 05 s (503)');
  assert.equal(countdownText(-5, 'backoff'), 'waiting 0 s (backoff)');
});

test('countDown: renders until the end, then done once; a wait already over only calls done; stop ends it early', async () => {
  const op = { id: 'op', title: 't', profile: 'p', state: 'running' as const, startedAt: 0, exchanges: [] };
  const notice = (ms: number) => ({ operation: op, ms, until: Date.now() + ms, reason: '429', cancel: () => undefined });
  const seen: string[] = [];
  let done = 0;
  countDown(notice(-1), (t) => seen.push(t), () => done++);
  assert.deepEqual([seen, done], [[], 1]);
  const stop = countDown(notice(5_000), (t) => seen.push(t), () => done++);
  assert.deepEqual(seen, ['waiting 5 s (429)']);
  stop();
  stop();
  assert.equal(done, 2, 'done once per countdown');
});

test('announcedSleep: tells onWait when it ends; cancel() rejects as cancelled at once', async () => {
  const op = { id: 'op', title: 't', profile: 'p', state: 'running' as const, startedAt: 0, exchanges: [] };
  const t0 = Date.now();
  await assert.rejects(
    announcedSleep((n) => { assert.ok(n.until >= t0 + 30_000); setTimeout(() => n.cancel(), 10); }, { operation: op, ms: 30_000, reason: '503' }),
    (e: unknown) => e instanceof ScimxError && e.code === 'cancelled',
  );
  assert.ok(Date.now() - t0 < 5_000);
});
