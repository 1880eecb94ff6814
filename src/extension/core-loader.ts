// Loads the heavy part of the core (./lazy-core.ts) on first use. A plain require, so that the build can
// keep it in its own file (external './lazy-core.js') and activation never parses the HTTP stack.
import type * as LazyCore from './lazy-core';

let core: typeof LazyCore | undefined;

export function loadCore(): typeof LazyCore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  core ??= require('./lazy-core.js') as typeof LazyCore;
  return core;
}
