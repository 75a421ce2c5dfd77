/** Contacts and their events as the editor reads them (shared/API.md). */

import type { JsonObject } from './json.ts';

export interface ContactTag {
  tag: string;
  count: number;
  firstAddedAt: string;
  lastAddedAt: string;
  expiresAt: string | null;
  active: boolean;
}

export interface Consent {
  status: 'unknown' | 'subscribed' | 'unsubscribed';
  source?: string;
  at?: string;
}

export interface Contact {
  id: string;
  email: string | null;
  phone: string | null;
  externalId: string | null;
  timezone: string | null;
  attributes: JsonObject;
  consent?: { email?: Consent; sms?: Consent };
  tags?: ContactTag[] | string[];
  lists?: { list: string; addedAt: string }[] | string[];
  createdAt: string;
  updatedAt: string;
}

export interface ContactEvent {
  id: string;
  contactId: string;
  name: string;
  properties: JsonObject;
  timestamp: string;
}
