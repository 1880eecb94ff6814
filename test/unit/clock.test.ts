import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/core/clock';
import { ScimxError } from '../../src/core/errors';
import { announcedSleep, countDown } from '../../src/core/http/retry';
import { TestClock } from '../helpers/clock';

const isCancelled = (e: unknown): boolean => e instanceof ScimxError && e.code === 'cancelled' && /waiting to retry/.test(e.message);
const op = { id: 'op', title: 't', profile: 'p', state: 'running' as const, startedAt: 0, exchanges: [] };

test('systemClock: sleeps real time; an abort (before or during) rejects as cancelled', async () => {
  const t0 = Date.now();
  await systemClock.sleep(30);
  assert.ok(Date.now() - t0 >= 25);
  assert.ok(Math.abs(systemClock.now() - Date.now()) < 50);
  const ac = new AbortController();
  const p = systemClock.sleep(60_000, ac.signal);
  ac.abort();
  await assert.rejects(p, isCancelled);
  await assert.rejects(systemClock.sleep(10, ac.signal), isCancelled);
  assert.ok(Object.isFrozen(systemClock), 'no global mutable clock');
});

test('TestClock: a wait ends at once, the clock moved forward by it and the wait recorded', async () => {
  let real = 1_000_000;
  const clock = new TestClock(() => real);
  assert.equal(clock.now(), 1_000_000);
  const t0 = Date.now();
  await clock.sleep(30_000);
  assert.ok(Date.now() - t0 < 1_000, 'not slept');
  assert.equal(clock.now(), 1_030_000);
  real += 5; // real time goes on underneath
  assert.equal(clock.now(), 1_030_005);
  await clock.sleep(250);
  assert.deepEqual(clock.slept, [30_000, 250]);
  assert.deepEqual(clock.sleeps.map((s) => s.at), [1_000_000, 1_030_005]);
  assert.equal(clock.now(), 1_030_255);
});

test('TestClock: overlapping waits end together, as in real time; a cancelled one does not move the clock', async () => {
  const clock = new TestClock(() => 0);
  await Promise.all([clock.sleep(1000), clock.sleep(1000), clock.sleep(400)]);
  assert.equal(clock.now(), 1000);
  const ac = new AbortController();
  const p = clock.sleep(60_000, ac.signal);
  ac.abort();
  await assert.rejects(p, isCancelled);
  await assert.rejects(clock.sleep(5, ac.signal), isCancelled);
  assert.equal(clock.now(), 1000);
  assert.deepEqual(clock.sleeps.map((s) => s.cancelled ?? false), [false, false, false, true, true]);
});

test('announcedSleep and countDown read the clock they are given', async () => {
  const clock = new TestClock(() => 5_000);
  const until: number[] = [];
  await announcedSleep((n) => until.push(n.until), { operation: op, ms: 26_000, reason: '429 Retry-After' }, clock);
  assert.deepEqual(until, [31_000]);
  assert.deepEqual(clock.slept, [26_000]);
  // the wait is over on this clock: the countdown only ends
  const seen: string[] = [];
  let done = 0;
  countDown({ operation: op, ms: 26_000, until: 31_000, reason: '429', cancel: () => undefined }, (t) => seen.push(t), () => done++, clock);
  assert.deepEqual([seen, done], [[], 1]);
});
