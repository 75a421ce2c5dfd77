/**
 * Sent messages as the editor reads them (shared/API.md): the engine's answers and the SDK's
 * statuses, typed once there. Type-only: none of their code is bundled.
 */

export type { Message, MessageDetail } from '../../../../../engine/messages/types.ts';
export type { MessageStatus } from '../../../../../engine/sdk/src/services.ts';
