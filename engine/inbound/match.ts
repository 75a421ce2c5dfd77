import { type Kysely, sql } from 'kysely';
import type { SecretKeys } from '../config/secret-key.js';
import type { Database } from '../db/database.js';
import { isUuid } from '../db/ids.js';
import { inboundAddress } from './addresses.js';
import type { InboundMail } from './parse.js';

/** The sent email an inbound mail answers or reports on. */
export interface MatchedMessage {
  id: string;
  contactId: string | null;
  nodeId: string | null;
  to: string;
  /**
   * True when it went to its contact's current address, or to that of a contact merged into it
   * (its email means the survivor, contract identity.md): only then do events land on the contact.
   */
  toContact: boolean;
  /** How it was found: the token of the address the mail came to, or its headers. */
  via: 'token' | 'headers';
}

interface Row {
  id: string;
  contact_id: string | null;
  node_id: string | null;
  to: string;
  /** Whether the contact, or one merged into it, holds the address the email went to. */
  to_contact: boolean;
}

/** Our Message-IDs are `<messageId@domain>`, whichever SMTP server sent the email. */
function idOf(header: string): string | null {
  const local = /^<([^@>]+)@/.exec(header)?.[1] ?? '';
  return isUuid(local) ? local.toLowerCase() : null;
}

/**
 * Finds the email an inbound mail belongs to: by the signed token of the address it came to,
 * else by the returned original's Message-ID (delivery reports), `In-Reply-To` and
 * `References`, the first that names one of our emails winning. One query by primary key.
 */
export async function matchMessage(
  db: Kysely<Database>,
  keys: SecretKeys,
  domain: string | null,
  mail: InboundMail,
  recipients: readonly string[],
): Promise<MatchedMessage | null> {
  const tokenIds = domain
    ? recipients.map((r) => inboundAddress(r, domain, keys)?.messageId).filter((id): id is string => Boolean(id))
    : [];
  const headers = [...(mail.report?.originalMessageIds ?? []), ...mail.answers];
  const headerIds = headers.map(idOf).filter((id): id is string => id !== null);
  const ids = [...new Set([...tokenIds, ...headerIds])];
  if (!ids.length) return null;
  const { rows } = await sql<Row>`
    select m.id, m.contact_id, m.node_id, m."to",
      exists (select 1 from contacts c where (c.id = m.contact_id or c.merged_into = m.contact_id)
        and c.email = lower(m."to")) as to_contact
    from messages m
    where m.id = any(${ids}::uuid[]) and m.channel = 'email'`.execute(db);
  // The first id in order of preference that names one of our emails wins.
  const first = ids.find((id) => rows.some((r) => r.id === id));
  const row = rows.find((r) => r.id === first);
  if (!row) return null;
  const via: MatchedMessage['via'] = tokenIds.includes(row.id) ? 'token' : 'headers';
  return {
    id: row.id,
    contactId: row.contact_id,
    nodeId: row.node_id,
    to: row.to,
    toContact: row.to_contact,
    via,
  };
}
