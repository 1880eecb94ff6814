// Who said no: the SCIM service itself (a refusal or a failure of its own), as opposed to the gateway's answers.
import { HttpStatusError, type ScimxError } from '../errors';

/** A refusal by the SCIM service itself (400 invalidFilter, 403, 501), as opposed to the gateway's or a failure. */
export function refusedByService(err: ScimxError): boolean {
  return err instanceof HttpStatusError && [400, 403, 501].includes(err.status) && err.code !== 'gateway';
}

/** A 5xx the SCIM service itself answered (not the gateway's). */
export function failedOnService(err: ScimxError): boolean {
  return err instanceof HttpStatusError && err.status >= 500 && err.code !== 'gateway';
}
