// The undici dispatcher the pipeline uses, loaded from its own module rather than the package index: the index
// pulls in fetch, WebSocket, caches, mocks and more (about 220 KB minified) that the extension bundle would carry
// for nothing. `request()` lives on Dispatcher.prototype only once the index has run, so it is attached here the
// same way (to this bundle's own copy of undici, never a global one). The ProxyAgent is in ./undici-proxy.ts.
import type { Agent as AgentType, Dispatcher as DispatcherType } from 'undici';

/* eslint-disable @typescript-eslint/no-require-imports */
export const DispatcherBase = require('undici/lib/dispatcher/dispatcher') as { prototype: Record<string, unknown> };
const apiRequest = require('undici/lib/api/api-request') as unknown;
if (!DispatcherBase.prototype.request) DispatcherBase.prototype.request = apiRequest;

export const Agent = require('undici/lib/dispatcher/agent') as typeof AgentType;
export type Dispatcher = DispatcherType;
