// Chunk "requests" (dist/requests.js): sending a block of a `*.scim` request file and the answer as text.
export { prepareRequest, sendRequest } from '../../core/request-files/send';
export { formatSendResult } from '../../core/request-files/format';
