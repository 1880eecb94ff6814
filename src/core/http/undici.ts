// The two undici dispatchers the pipeline uses, loaded from their own modules rather than the package
// index: the index pulls in fetch, WebSocket, caches, mocks and more (about 220 KB minified) that the
// extension bundle would carry for nothing. `request()` lives on Dispatcher.prototype only once the index
// has run, so it is attached here the same way (to this bundle's own copy of undici, never a global one).
import type { Agent as AgentType, Dispatcher as DispatcherType, ProxyAgent as ProxyAgentType } from 'undici';

/* eslint-disable @typescript-eslint/no-require-imports */
const DispatcherBase = require('undici/lib/dispatcher/dispatcher') as { prototype: Record<string, unknown> };
const apiRequest = require('undici/lib/api/api-request') as unknown;
if (!DispatcherBase.prototype.request) DispatcherBase.prototype.request = apiRequest;
// ProxyAgent opens its tunnel with `client.connect()` (HTTP CONNECT): without it every proxied request failed
// with "this[kClient].connect is not a function" (test/integration/tls-proxy.test.ts).
const apiConnect = require('undici/lib/api/api-connect') as unknown;
if (!DispatcherBase.prototype.connect) DispatcherBase.prototype.connect = apiConnect;

export const Agent = require('undici/lib/dispatcher/agent') as typeof AgentType;
export const ProxyAgent = require('undici/lib/dispatcher/proxy-agent') as typeof ProxyAgentType;
export type Dispatcher = DispatcherType;
