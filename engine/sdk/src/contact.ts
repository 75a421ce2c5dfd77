import type { JsonObject } from './json.js';

export type Channel = 'email' | 'sms';
export type ConsentStatus = 'unknown' | 'subscribed' | 'unsubscribed';

export interface ChannelConsent {
  status: ConsentStatus;
  source?: string;
  at?: string;
}

/** A tag on a contact: how often it was added, when, and whether it is active now. */
export interface TagState {
  tag: string;
  count: number;
  firstAddedAt: string;
  lastAddedAt: string;
  expiresAt: string | null;
  active: boolean;
}

export interface ListMembership {
  list: string;
  addedAt: string;
}

/** One person in the contact store, as nodes and the API see it. */
export interface Contact {
  id: string;
  email: string | null;
  phone: string | null;
  externalId: string | null;
  timezone: string | null;
  attributes: JsonObject;
  consent: { email: ChannelConsent; sms: ChannelConsent };
  tags: TagState[];
  lists: ListMembership[];
  createdAt: string;
  updatedAt: string;
}

/** An event stored on a contact. */
export interface ContactEvent {
  id: string;
  contactId: string;
  name: string;
  properties: JsonObject;
  timestamp: string;
}
