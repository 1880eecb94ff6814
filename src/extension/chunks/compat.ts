// Chunk "compat" (dist/compat.js): "Check Connector Compatibility".
export { compatSummary, parseConnectors, runCompat } from '../../core/scim/compat';
