import { type Kysely, sql } from 'kysely';

// Whether an invitation's link was shown to its inviter (no SMTP_URL, or the mail failed) rather
// than mailed: such a link's holder may be the inviter, who must not learn from it whether the
// invited email has an account elsewhere (GET /api/invitations/:token's existingUser).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table invitations add column link_shown boolean not null default false`.execute(db);
}
