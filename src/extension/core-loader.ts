// Loads the heavy parts of the core on first use, each from its own chunk (./chunks/*.ts): what the tree's first
// expand needs (browse), and what only some commands need (export, lifecycle, compat). Plain
// requires: scripts/build.mjs (LAZY) turns each into a chunk of its own, dist/<name>.js, loaded by the first
// property read of what these return, so activation parses none of them.
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as Browse from './chunks/browse';
import type * as Compat from './chunks/compat';
import type * as Export from './chunks/export';
import type * as Lifecycle from './chunks/lifecycle';

/** Profiles reading, the ScimClient (the HTTP stack), the journal: the tree's first expand. */
export const loadBrowse = (): typeof Browse => require('./chunks/browse') as typeof Browse;
/** HAR and curl export of the trace. */
export const loadExport = (): typeof Export => require('./chunks/export') as typeof Export;
/** Creating and deleting resources. */
export const loadLifecycle = (): typeof Lifecycle => require('./chunks/lifecycle') as typeof Lifecycle;
/** The connector compatibility check. */
export const loadCompat = (): typeof Compat => require('./chunks/compat') as typeof Compat;
