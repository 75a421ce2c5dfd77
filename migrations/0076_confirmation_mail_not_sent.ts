import { type Kysely, sql } from 'kysely';

// A double opt-in's confirmation mail the mail server did not take (SMTP down) still counted as
// sent: mailed_at was set when the confirmation was stored, before the send was tried, so a
// repeat signup within 10 minutes sent nothing. The row still claims the send when stored, so
// that a repeat while it is under way sends none; a send that fails now sets mailed_at to null.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table form_confirmations alter column mailed_at drop not null`.execute(db);
}
