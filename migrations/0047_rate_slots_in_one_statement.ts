import { type Kysely, sql } from 'kysely';

// A send rate's turn was six statements from the worker under the rate's advisory lock, so the
// lock was held across the worker's event loop: 400 messages reserving their places at once
// held it for two seconds, the first second's hand-overs waited behind them, and every later
// second inherited that lateness through the sliding window. As functions the lock is held
// only while PostgreSQL works, and a message passes all its rates in one statement.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A rate's columns on messages: the owner, the message's slot and its hand-over.
    create function waymark_rate_column(kind text, part text) returns text language sql immutable as $$
      select case kind
        when 'credential' then case part when 'owner' then 'credential_id' when 'slot' then 'rate_slot_at' else 'rate_sent_at' end
        else case part when 'owner' then 'journey_id' when 'slot' then 'journey_slot_at' else 'journey_sent_at' end
      end
    $$;

    -- One rate's turn for one message (engine/sending/send-rate.ts): at most max_count messages
    -- handed over in any sliding window of window_ms, in the order they were queued. Under the
    -- rate's lock the message first reserves its slot — now, or one window after the slot
    -- reserved max_count places before it — and, once its slot has come, is handed over only if
    -- fewer than max_count were in the last window, recording the hand-over. Returns null when
    -- handed over, else when to ask again.
    create function waymark_take_rate_slot(kind text, owner uuid, message uuid, max_count int, window_ms int)
    returns timestamptz language plpgsql as $$
    declare
      owner_column text := waymark_rate_column(kind, 'owner');
      slot_column text := waymark_rate_column(kind, 'slot');
      sent_column text := waymark_rate_column(kind, 'sent');
      span interval := make_interval(secs => window_ms / 1000.0);
      now_at timestamptz;
      slot timestamptz;
      earlier timestamptz;
    begin
      perform pg_advisory_xact_lock(hashtext('send-rate:' || kind || ':' || owner));
      now_at := clock_timestamp();
      execute format('select %I from messages where id = $1', slot_column) into slot using message;
      if slot is null then
        execute format('select %1$I from messages where %2$I = $1 and %1$I is not null
            order by %1$I desc offset $2 limit 1', slot_column, owner_column)
          into earlier using owner, max_count - 1;
        slot := greatest(now_at, earlier + span);
        execute format('update messages set %I = $1 where id = $2', slot_column) using slot, message;
      end if;
      if slot > now_at then
        return slot;
      end if;
      execute format('select %1$I from messages where %2$I = $1 and %1$I > $2 and id <> $3
          order by %1$I desc offset $4 limit 1', sent_column, owner_column)
        into earlier using owner, now_at - span, message, max_count - 1;
      if earlier is not null then
        return earlier + span;
      end if;
      execute format('update messages set %I = $1 where id = $2', sent_column) using now_at, message;
      return null;
    end
    $$;

    -- A message through every rate on it, in order (API.md: a credential's and its journey's
    -- both apply; limits is [{ kind, owner, count, windowMs }]). When one holds it, the
    -- hand-overs the earlier ones recorded are taken back: it was not handed over, and asks
    -- them all again when its time comes. Returns null when handed over, else when to ask again.
    -- The rates' locks are taken in the order given, the same for every message (a journey's
    -- before a credential's: rateLimitsOf), so no two turns wait on each other in a cycle.
    create function waymark_take_rate_slots(message uuid, limits jsonb) returns timestamptz language plpgsql as $$
    declare
      l record;
      passed text[] := '{}';
      kind text;
      until timestamptz;
    begin
      for l in select * from jsonb_to_recordset(limits) as x(kind text, owner uuid, count int, "windowMs" int) loop
        until := waymark_take_rate_slot(l.kind, l.owner, message, l.count, l."windowMs");
        if until is not null then
          foreach kind in array passed loop
            execute format('update messages set %I = null where id = $1', waymark_rate_column(kind, 'sent')) using message;
          end loop;
          return until;
        end if;
        passed := passed || l.kind;
      end loop;
      return null;
    end
    $$;
  `.execute(db);
}
