/** Credentials as the editor reads them (shared/API.md). */

export interface Credential {
  id: string;
  name: string;
  type: string;
  createdAt: string;
  /** The channel a sending credential sends, else null. */
  channel: string | null;
}
