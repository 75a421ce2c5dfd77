/**
 * The shapes of the message answers (shared/API.md "Messages") apart from the queries that
 * read them: no runtime imports, so the editor reads the same types (type-only) without the
 * engine's database or mail code.
 */
import type { MessageStatus } from '@waymark/sdk';

/** A message as the API lists it; optional fields only when set. */
export interface Message {
  id: string;
  runId: string | null;
  nodeId: string | null;
  contactId: string | null;
  channel: string;
  category: string;
  /** The marketing category (e.g. newsletter), when the node named one. */
  subscription?: string;
  to: string;
  subject?: string;
  status: MessageStatus;
  reason?: string;
  error?: string;
  createdAt: string;
  sentAt?: string;
  opens: number;
  clicks: number;
  /** The sending credential; null for SMTP_URL or the outbox. */
  credentialId: string | null;
  /** The provider's id of the message, once sent. */
  providerId: string | null;
}

/** One header line of a message: its name as written, its value unfolded. */
export interface MimeHeader {
  name: string;
  value: string;
}

/** A message with what it holds: its rendered html, text and headers. */
export interface MessageDetail extends Message {
  html?: string;
  text?: string;
  headers: Record<string, string>;
  /** An email the outbox kept: every header line it would go out with, in order. */
  allHeaders?: MimeHeader[];
}
