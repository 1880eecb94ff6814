// undici's ProxyAgent (HTTP CONNECT, and SOCKS5 for a socks:// proxy), apart from ./undici.ts: only profiles that
// go through a proxy need it, so the extension build keeps it in a chunk of its own (dist/proxy.js), loaded when
// the first such profile makes its dispatcher (scripts/build.mjs, LAZY). It shares ./undici.ts's copy of undici.
import type { ProxyAgent as ProxyAgentType } from 'undici';
import { DispatcherBase } from './undici';

/* eslint-disable @typescript-eslint/no-require-imports */
// ProxyAgent opens its tunnel with `client.connect()` (HTTP CONNECT): without it every proxied request failed
// with "this[kClient].connect is not a function" (test/integration/tls-proxy.test.ts).
const apiConnect = require('undici/lib/api/api-connect') as unknown;
if (!DispatcherBase.prototype.connect) DispatcherBase.prototype.connect = apiConnect;

export const ProxyAgent = require('undici/lib/dispatcher/proxy-agent') as typeof ProxyAgentType;
