/** JSON values as the HTTP API (shared/API.md) sends and takes them: the SDK's, typed once. */

export type { JsonObject, JsonValue } from '../../../../../engine/sdk/src/json.ts';
