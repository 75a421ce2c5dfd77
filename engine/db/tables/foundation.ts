import type { ColumnType, Generated } from 'kysely';

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A timestamp column that may be null and is null unless set. */
export type OptionalTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
export type Json<T> = ColumnType<T, T | string, T | string>;

/** API bearer tokens, stored only as SHA-256 hashes. */
export interface ApiTokensTable {
  id: Generated<string>;
  name: string;
  token_hash: string;
  /** `env`: WAYMARK_API_TOKEN (retired when it changes); `generated`: the first start's; `api`: made by POST /api/tokens. */
  source: Generated<'env' | 'generated' | 'api'>;
  created_at: Generated<Timestamp>;
  last_used_at: Timestamp | null;
  workspace_id: string;
  /** `owner` (environment and first-start tokens only), `admin`, or resource scopes. */
  scopes: Generated<string[]>;
  created_by: Json<{ type: 'user' | 'token'; id: string }> | null;
}

/** Single-use live-feed tickets (`POST /api/live/ticket`), stored as hashes. */
export interface LiveTicketsTable {
  ticket_hash: string;
  token_id: string | null;
  user_id?: string | null;
  workspace_id?: string | null;
  /** The session a user's ticket was taken under (it goes with the session); null for a token's. */
  session_id?: string | null;
  expires_at: Timestamp;
}

/** Installation-wide settings by key (contact rules, …). */
export interface SettingsTable {
  /** The workspace it belongs to. */
  workspace_id: string;
  key: string;
  value: Json<unknown>;
  updated_at: Generated<Timestamp>;
}

/** Live worker processes: a heartbeat lets survivors free the jobs of dead ones. */
export interface WorkersTable {
  id: string;
  hostname: string;
  pid: number;
  started_at: Generated<Timestamp>;
  heartbeat_at: Generated<Timestamp>;
}

/** The fingerprint of the secret key this database was last used with (one row). */
export interface SecretKeyInUseTable {
  only_row: Generated<boolean>;
  fingerprint: string;
  since: Generated<Timestamp>;
}

/** Credentials for node packages, encrypted with AES-256-GCM. */
export interface CredentialsTable {
  /** The workspace it belongs to. */
  workspace_id: string;
  id: Generated<string>;
  name: string;
  type: string;
  data_encrypted: string;
  created_at: Generated<Timestamp>;
  updated_at: Generated<Timestamp>;
}

export interface FoundationTables {
  api_tokens: ApiTokensTable;
  live_tickets: LiveTicketsTable;
  settings: SettingsTable;
  workers: WorkersTable;
  credentials: CredentialsTable;
  secret_key_in_use: SecretKeyInUseTable;
}
