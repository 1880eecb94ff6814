// Interop matrix, the sandbox's quirk modes, first half (test/helpers/interop-quirks.ts): discovery, PATCH
// dialects, PUT, filters and projections.
import { QUIRKS, quirkMatrix } from '../helpers/interop-quirks';

quirkMatrix('interop matrix: sandbox quirk modes (1/2)', QUIRKS.slice(0, 8));
