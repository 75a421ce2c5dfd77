import { NAME_MAX_LENGTH } from '@waymark/sdk';

/**
 * The most characters of text that is an index key: tag and list names (the SDK's schemas hold
 * them to it), event names, idempotency keys, external ids. PostgreSQL refuses a B-tree entry
 * over about 2.7 kB, which text it cannot compress (random ids, keys) passes at a few thousand
 * characters, and that failed as a 500; 255 characters stay below it even at four UTF-8 bytes each.
 */
export const INDEX_KEY_MAX_LENGTH = NAME_MAX_LENGTH;
