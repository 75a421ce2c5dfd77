import { type Kysely, sql } from 'kysely';

// Workspaces hold data: every journey, contact, credential, setting, tag lifespan, template,
// snippet, form, event, run, message, lead and suppression carries `workspace_id`, and every
// existing row moves into the Default workspace. Rows that belong to another row (a journey's
// versions, a run's steps and waits, a contact's tags and lists) need no column: they are
// reached only through their owner.
//
// Rows the engine writes on its own (runs, events, messages, leads, suppressions) take their
// owner's workspace in a BEFORE INSERT trigger when the writer does not name it, so a run can
// never land outside its journey's workspace nor an event outside its contact's.
const ROOTS = [
  'journeys',
  'contacts',
  'credentials',
  'settings',
  'tags',
  'templates',
  'snippets',
  'forms',
  'events',
  'runs',
  'messages',
  'leads',
  'email_suppressions',
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ROOTS) {
    await sql`
      alter table ${sql.table(table)} add column workspace_id uuid references workspaces (id);
      update ${sql.table(table)} set workspace_id = (select id from workspaces where is_default);
      alter table ${sql.table(table)} alter column workspace_id set not null;
    `.execute(db);
  }
  await sql`
    -- One email, phone or external id may be a contact in each workspace.
    drop index contacts_email_key;
    drop index contacts_phone_key;
    drop index contacts_external_id_key;
    create unique index contacts_email_key on contacts (workspace_id, email);
    create unique index contacts_phone_key on contacts (workspace_id, phone);
    create unique index contacts_external_id_key on contacts (workspace_id, external_id);
    create index contacts_by_workspace on contacts (workspace_id, id);

    -- Keys and names chosen by people are unique per workspace.
    alter table settings drop constraint settings_pkey, add primary key (workspace_id, key);
    alter table tags drop constraint tags_pkey, add primary key (workspace_id, tag);
    alter table snippets drop constraint snippets_pkey, add primary key (workspace_id, name);
    alter table events drop constraint events_idempotency_key_key;
    create unique index events_idempotency_key on events (workspace_id, idempotency_key);

    create index journeys_by_workspace on journeys (workspace_id, created_at);
    create index credentials_by_workspace on credentials (workspace_id);
    create index events_by_workspace on events (workspace_id, timestamp, id);
    create index runs_by_workspace on runs (workspace_id, started_at desc, id desc);
    create index messages_by_workspace on messages (workspace_id, created_at desc, id desc);
    create index leads_by_workspace on leads (workspace_id, created_at desc, id desc);
    create index templates_by_workspace on templates (workspace_id);
    create index forms_by_workspace on forms (workspace_id);

    create function waymark_workspace_of_owner() returns trigger language plpgsql as $$
      begin
        if new.workspace_id is not null then return new; end if;
        if tg_table_name = 'runs' then
          select workspace_id into new.workspace_id from journeys where id = new.journey_id;
        elsif tg_table_name = 'events' then
          select workspace_id into new.workspace_id from contacts where id = new.contact_id;
        elsif tg_table_name in ('messages', 'leads') then
          select coalesce(
            (select workspace_id from contacts where id = new.contact_id),
            (select workspace_id from journeys where id = new.journey_id)) into new.workspace_id;
        elsif tg_table_name = 'email_suppressions' then
          select coalesce(
            (select workspace_id from contacts where id = new.contact_id),
            (select workspace_id from messages where id = new.message_id)) into new.workspace_id;
        end if;
        -- Nothing names an owner (a suppression typed by hand, a test send of a template
        -- made by a script): the default workspace, as before workspaces held data.
        if new.workspace_id is null then
          select id into new.workspace_id from workspaces where is_default;
        end if;
        return new;
      end $$;
    create trigger runs_workspace before insert on runs
      for each row execute function waymark_workspace_of_owner();
    create trigger events_workspace before insert on events
      for each row execute function waymark_workspace_of_owner();
    create trigger messages_workspace before insert on messages
      for each row execute function waymark_workspace_of_owner();
    create trigger leads_workspace before insert on leads
      for each row execute function waymark_workspace_of_owner();
    create trigger email_suppressions_workspace before insert on email_suppressions
      for each row execute function waymark_workspace_of_owner();
  `.execute(db);
}
