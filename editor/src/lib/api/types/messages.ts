/** Sent messages as the editor reads them (shared/API.md). */

export type MessageStatus = 'queued' | 'delayed' | 'sent' | 'suppressed' | 'failed';

export interface Message {
  id: string;
  runId: string | null;
  nodeId: string | null;
  contactId: string | null;
  channel: string;
  category: string;
  to: string;
  subject?: string;
  status: MessageStatus;
  reason?: string;
  error?: string;
  createdAt: string;
  sentAt?: string;
  opens: number;
  clicks: number;
}

export interface MessageDetail extends Message {
  html?: string | null;
  text?: string | null;
  headers?: Record<string, string | string[]>;
  /** An email the outbox kept: every header line it would go out with, in order. */
  allHeaders?: { name: string; value: string }[];
}
