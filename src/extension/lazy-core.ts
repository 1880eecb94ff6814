// Everything heavy the extension needs, behind one dynamic import: the HTTP stack (undici), the YAML
// profiles parser, HAR and curl export. Loaded on first use (first tree expand, first command), never
// during activation. The build may emit it as its own file (dist/lazy-core.js) so that activation only
// loads the small UI bundle.
export { ScimClient } from '../core/scim/client';
export { parseProfiles } from '../core/profiles';
export { shortSecretWarnings } from '../core/profile';
export { toHar } from '../core/http/har';
export { toCurl } from '../core/http/curl';
export { FileJournal } from '../core/journal';
export { prepareRequest, sendRequest } from '../core/request-files/send';
export { formatSendResult } from '../core/request-files/format';
export { readForEdit, planEdit, applyEdit, describePlan, formatPlan, editSummary } from '../core/edit/edit';

export type LazyCore = typeof import('./lazy-core');
export { createResource, deleteResource, missingRequired, resourceTemplate } from '../core/scim/lifecycle';
export { compatSummary, parseConnectors, runCompat } from '../core/scim/compat';
