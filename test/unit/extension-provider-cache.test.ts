// test-isolation: own process (a fake `vscode` through the module loader, and the extension modules required with it)
// VS Code keeps what its clients learn of each provider in its global storage (`provider-cache`), so a restart
// discovers nothing again; the view's Refresh forgets it. A fake `vscode`; the profile's server is never asked
// (discovery comes from the cache, the Refresh only drops it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Profile } from '../../src/core/profile';
import { FileCacheStore, ProviderCache } from '../../src/core/scim/cache';
import { Trace } from '../../src/core/trace';
// types only at the top (erased): the modules themselves are required once the fake `vscode` is in place
import type * as SessionModule from '../../src/extension/session';
import type * as TreeModule from '../../src/extension/tree';
import { sandboxProfile } from '../helpers/profile';

class EventEmitter<T> {
  private listeners: Array<(e: T) => void> = [];
  readonly event = (l: (e: T) => void): { dispose(): void } => {
    this.listeners.push(l);
    return { dispose: () => { this.listeners = this.listeners.filter((x) => x !== l); } };
  };
  fire(e: T): void { for (const l of [...this.listeners]) l(e); }
  dispose(): void { this.listeners = []; }
}
const fake = { EventEmitter };
const M = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
const load = M._load;
before(() => {
  M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    return request === 'vscode' ? fake : load.call(this, request, parent, isMain);
  };
});
after(() => { M._load = load; });

const storage = mkdtempSync(join(tmpdir(), 'scimx-vscode-storage-'));
after(() => rmSync(storage, { recursive: true, force: true }));

test('a restart discovers from the provider cache in global storage; the view\'s Refresh forgets it', async () => {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded after the fake vscode is in place */
  const { Clients } = require('../../src/extension/session') as typeof SessionModule;
  const { ScimTree } = require('../../src/extension/tree') as typeof TreeModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  // port 9 (discard) on loopback: never asked, the discovery is in the cache
  const profile: Profile = sandboxProfile({ gatewayUrl: 'http://127.0.0.1:9/scim/v2', key: 'k-0123456789', keyHeader: 'Ocp-Apim-Subscription-Key', keyQuery: 'subscription-key' }, { name: 'p' });
  let reloads = 0;
  const profiles = { onDidChange: () => ({ dispose() {} }), reload: () => { reloads += 1; }, forUse: async (name: string) => (name === 'p' ? profile : undefined) };
  const trace = new Trace();
  const clients = new Clients(profiles as never, trace, 'test', undefined, storage);
  const cacheDir = clients.cacheDir!;
  assert.equal(cacheDir, join(storage, 'provider-cache'));
  const doc = (body: Record<string, unknown> | unknown[]) => ({ body, fetchedAt: Date.now() - 60_000 });
  new ProviderCache(new FileCacheStore(cacheDir), profile.baseUrl, (t) => t).save({
    discovery: {
      ServiceProviderConfig: doc({ patch: { supported: true }, filter: { supported: true } }),
      ResourceTypes: doc([{ name: 'User', endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' }]),
      Schemas: doc([]),
    },
    quirks: { memberPaging: 'group-read' },
  }, Date.now());

  const client = await clients.get('p');
  const d = await client.discover();
  assert.equal(d.cache?.state, 'fresh');
  assert.deepEqual(d.resourceTypes.map((r) => r.endpoint), ['Users']);
  assert.equal(client.quirks.memberPaging, 'group-read', 'learnt quirks restored');
  assert.equal(trace.operations().flatMap((o) => o.exchanges).length, 0, 'no request');

  const tree = new ScimTree(profiles as never, clients, { info() {}, warn() {}, error() {} } as never);
  tree.refresh();
  assert.equal(reloads, 1);
  assert.deepEqual(readdirSync(cacheDir), [], 'the cache on disk is gone');
  await new Promise((r) => setImmediate(r));
  assert.equal(client.quirks.memberPaging, undefined, 'the old client forgot too');
  assert.ok(!existsSync(join(cacheDir, `${new ProviderCache(new FileCacheStore(cacheDir), profile.baseUrl, (t) => t).key}.json`)));
  tree.dispose();
  await clients.dispose();
});
