/**
 * Contacts and their events as the editor reads them (shared/API.md): the SDK's types, which
 * are already the JSON answer (times as ISO strings). Type-only: no SDK code is bundled.
 */

export type { Contact, ContactEvent, TagState as ContactTag } from '../../../../../engine/sdk/src/contact.ts';
