// The third-party SCIM servers of the interop matrix, by name, and the APIM-like gateway in front of one.
import { appendFileSync } from 'node:fs';
import { startGatewayFor, type GatewayFront, type GatewayOptions } from '../../../src/sandbox/index';
import { startBetterAuthServer } from './better-auth';
import { startScimmyServer } from './scimmy';
import type { SeedOptions, ServerName, ThirdPartyServer } from './types';

export type { SeedOptions, ServerName, ThirdPartyServer } from './types';
export { SERVER_NAMES } from './types';

/** Starts one third-party server in this process (SCIMMY: at most one per process, see scimmy.ts). */
export async function startThirdParty(name: ServerName, seed: SeedOptions = {}): Promise<ThirdPartyServer> {
  switch (name) {
    case 'scimmy': return startScimmyServer(seed);
    case 'better-auth': return startBetterAuthServer(seed);
    default: throw new Error(`unknown third-party server ${String(name)}`);
  }
}

/** A third-party server behind the gateway: the same shape the sandbox gives tests (gatewayUrl, key, received). */
export interface FrontedServer extends GatewayFront {
  server: ThirdPartyServer;
  auth: ThirdPartyServer['auth'];
}

export async function startFronted(name: ServerName, seed: SeedOptions = {}, gateway: GatewayOptions = {}): Promise<FrontedServer> {
  const server = await startThirdParty(name, seed);
  const ledger = process.env.SCIMX_SECRET_LEDGER;
  const secret = server.auth.type === 'bearer' ? server.auth.token : server.auth.type === 'basic' ? server.auth.password : undefined;
  if (ledger && secret) {
    // under `npm test`, the run's secret scan looks for this server's credential in everything printed
    try { appendFileSync(ledger, `${JSON.stringify({ value: secret, from: `${name} credential` })}\n`); } catch { /* a test aid only */ }
  }
  let front: GatewayFront;
  try {
    front = await startGatewayFor(server.baseUrl, { key: 'interop-subscription-key-0123456789', ...gateway });
  } catch (e) {
    await server.stop();
    throw e;
  }
  const stopFront = front.stop.bind(front);
  return Object.assign(front, {
    server,
    auth: server.auth,
    stop: async () => { await stopFront(); await server.stop(); },
  });
}
