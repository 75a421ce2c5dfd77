import { type Kysely, sql } from 'kysely';

// A browser's live-feed socket stayed open after the session whose ticket opened it signed out
// or was ended by a password change: a ticket named its user, not its session. Now a ticket
// taken under a session names it and goes with it; a token's ticket names none. Tickets live
// 60 s: those a user took before this migration, naming no session, are dropped (the editor
// takes another when its socket does not open).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    delete from live_tickets where user_id is not null;
    alter table live_tickets
      add column session_id uuid references sessions (id) on delete cascade,
      add constraint live_tickets_user_session check (user_id is null or session_id is not null);
  `.execute(db);
}
