// Chunk "export" (dist/export.js): the trace as HAR, an exchange as curl ("Export Trace as HAR…", "Copy as curl").
export { toHar } from '../../core/http/har';
export { toCurl } from '../../core/http/curl';
