// The membership journal: bounded, crash-tolerant, keyed by profile without keeping its base URL's path,
// and the entries restore and undo pick.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultStateDir, entryToRestore, entryToUndo, FileJournal, newEntryId, profileKey, type JournalEntry } from '../../src/core/journal';

const profile = { name: 'dev', baseUrl: 'https://gw.example.com/scim/tenant-secret-path' };

function entry(over: Partial<JournalEntry> = {}): JournalEntry {
  return {
    v: 1, id: newEntryId(), at: new Date().toISOString(), kind: 'change', ...profileKey(profile), groupId: 'g1',
    asked: { add: ['u1'], remove: [] }, mode: 'patch', outcome: 'verified', added: ['u1'], removed: [], alreadyPresent: [], alreadyAbsent: [],
    missing: [], lost: [], before: {}, after: {}, requests: [], ...over,
  };
}

test('the state folder: SCIMX_STATE_DIR, XDG_STATE_HOME, then each OS\'s own place', () => {
  assert.equal(defaultStateDir({ SCIMX_STATE_DIR: '/x' }, 'linux', '/home/a'), '/x');
  assert.equal(defaultStateDir({ XDG_STATE_HOME: '/s' }, 'linux', '/home/a'), join('/s', 'scimx'));
  assert.equal(defaultStateDir({}, 'linux', '/home/a'), join('/home/a', '.local', 'state', 'scimx'));
  assert.equal(defaultStateDir({}, 'darwin', '/Users/a'), join('/Users/a', 'Library', 'Application Support', 'scimx'));
  assert.equal(defaultStateDir({ LOCALAPPDATA: 'C:\\L' }, 'win32', 'C:\\U'), join('C:\\L', 'scimx'));
});

test('bounded by entries and bytes (the oldest go first), a torn last line skipped, the base URL kept only as a hash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scimx-journal-'));
  try {
    const j = new FileJournal(dir, { maxEntries: 5, maxBytes: 1_000_000 });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const e = entry({ asked: { add: [`u${i}`], remove: [] } });
      ids.push(e.id);
      j.append(e);
    }
    assert.deepEqual(j.entries().map((e) => e.id), ids.slice(3));
    appendFileSync(j.file, '{"v":1,"id":"torn'); // a crash in the middle of a write
    assert.equal(j.entries().length, 5);
    assert.ok(!readFileSync(j.file, 'utf8').includes('tenant-secret-path'), 'the base path is not stored');

    const small = new FileJournal(join(dir, 'small'), { maxEntries: 1000, maxBytes: 2_000 });
    for (let i = 0; i < 20; i++) small.append(entry({ before: { members: Array.from({ length: 10 }, (_, k) => `member-${i}-${k}`) } }));
    const size = readFileSync(small.file, 'utf8').length;
    assert.ok(size <= 2_000, `kept ${size} bytes`);
    assert.ok(small.entries().length >= 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restore picks the newest change of the profile that lost members and is not restored yet; undo the newest change not undone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scimx-journal-'));
  try {
    const j = new FileJournal(dir);
    const a = entry({ outcome: 'lost', lost: ['u7'] });
    const b = entry({ added: ['u2'] });
    const other = entry({ ...profileKey({ name: 'prod', baseUrl: 'https://other' }), added: ['u3'] });
    for (const e of [a, b, other]) j.append(e);
    assert.equal(entryToRestore(j, profile).id, a.id);
    assert.equal(entryToUndo(j, profile).id, b.id);
    const r = entry({ kind: 'restore', of: a.id, outcome: 'verified', added: ['u7'] });
    j.append(r);
    j.append(entry({ kind: 'undo', of: b.id, added: [], removed: ['u2'] }));
    assert.throws(() => entryToRestore(j, profile), /No membership change of profile dev lost members that are not restored yet/);
    assert.equal(entryToUndo(j, profile).id, r.id, 'b is undone (undo entries themselves are not undone); the restore is the newest change');
    assert.throws(() => entryToUndo(j, profile, 'nope'), /No journal entry nope for profile dev/);
    assert.throws(() => entryToRestore(j, profile, b.id), /lost no member/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
