import { type Kysely, sql } from 'kysely';

// A send rate bounds the requests that reach a sender's server in any sliding window
// (sending.md "Send rates and the backlog"), but it counted hand-overs as they were recorded,
// before the commit, the delivery's locks and reads and the request: the time from there to the
// server varied by hundreds of ms between messages, and a stand-in server saw 7 requests of a
// 5/s credential arrive within 906 ms. A request reaches its server between its hand-over and
// its answer, so a rate now counts each hand-over until its answer (`rate_reach_by`: the answer's
// time, or the hand-over plus a minute while the request is out), and a message goes only if
// fewer than `count` of them end within the last window: no window at the server then holds more.
//
// The hand-over was recorded when a message's turn came, before it was decided again, stored,
// and its delivery's transaction began, all of which would now count until the answer: a
// message's turn, when it comes, is claimed (its share of the rate kept for it), and taken on
// the connection that delivers it, just before the request (take).
//
// Held messages also went out of order: a message whose place had come was told when to ask
// again, and one arriving meanwhile took the free share first (places were in order already).
// A new message now goes only when no message placed before it under the rate is still held,
// and places are strictly increasing in queue order.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table messages add column rate_reach_by timestamptz;
    create index messages_rate_reach on messages (credential_id, rate_reach_by) where rate_reach_by is not null;
    create index messages_journey_reach on messages (journey_id, rate_reach_by) where rate_reach_by is not null;
    create index messages_rate_held on messages (credential_id, rate_slot_at)
      where rate_slot_at is not null and rate_sent_at is null and status = 'queued';
    create index messages_journey_held on messages (journey_id, journey_slot_at)
      where journey_slot_at is not null and journey_sent_at is null and status = 'queued';

    drop function waymark_take_rate_slots(uuid, jsonb);
    drop function waymark_take_rate_slot(text, uuid, uuid, int, int);

    -- One rate's turn for one message (engine/sending/send-rate.ts): at most max_count requests
    -- reaching the server in any sliding window of window_ms, in the order the messages were
    -- queued. Under the rate's lock the message first reserves its place: now, a microsecond
    -- after the last place, and a window after the place max_count before it. Once its place
    -- has come its turn comes when no message placed before it is still held (for a message
    -- not held yet, any held one not ten seconds past its time: a new message never takes
    -- a held one's share; for a held one woken, one whose time is yet to come: waiting for one
    -- the worker wakes late, tried, made each later one late too: 400 at 20/s took 97 s, not
    -- 31) and fewer than max_count others are on their
    -- way (their turn claimed in the last ten seconds, not yet handed over) or may still reach
    -- the server within the window (handed over, until their answer: rate_reach_by). Asking
    -- (not take), the message claims its turn (its sent column, rate_reach_by null); taking, it
    -- is handed over (at once when it holds a claim: the claim kept its share of the rate),
    -- counted as reaching the server until a minute from now (its answer's time replaces that:
    -- markMessage). Returns null when its turn has come, else the earliest time it can.
    create function waymark_take_rate_slot(kind text, owner uuid, message uuid, max_count int, window_ms int,
      take boolean)
    returns timestamptz language plpgsql as $$
    declare
      owner_column text := waymark_rate_column(kind, 'owner');
      slot_column text := waymark_rate_column(kind, 'slot');
      sent_column text := waymark_rate_column(kind, 'sent');
      span interval := make_interval(secs => window_ms / 1000.0);
      lapse interval := interval '10 seconds';
      now_at timestamptz;
      slot timestamptz;
      claimed timestamptz;
      last_place timestamptz;
      earlier timestamptz;
      held int;
      ends timestamptz[];
      place int;
      turn timestamptz;
      fresh boolean;
    begin
      perform pg_advisory_xact_lock(hashtext('send-rate:' || kind || ':' || owner));
      now_at := clock_timestamp();
      execute format('select %I, %I, delayed_until is null from messages where id = $1', slot_column, sent_column)
        into slot, claimed, fresh using message;
      if claimed > now_at - lapse then
        if take then
          execute format('update messages set %I = $1, rate_reach_by = $1 + interval ''1 minute'' where id = $2',
              sent_column)
            using now_at, message;
        end if;
        return null;
      end if;
      if slot is null then
        execute format('select %1$I from messages where %2$I = $1 and %1$I is not null
            order by %1$I desc limit 1', slot_column, owner_column)
          into last_place using owner;
        execute format('select %1$I from messages where %2$I = $1 and %1$I is not null
            order by %1$I desc offset $2 limit 1', slot_column, owner_column)
          into earlier using owner, max_count - 1;
        slot := greatest(now_at, last_place + interval '1 microsecond', earlier + span);
        execute format('update messages set %I = $1 where id = $2', slot_column) using slot, message;
      end if;
      if slot > now_at then
        return slot;
      end if;
      -- The held messages placed before it that it waits for (a thousand at most are counted:
      -- enough to tell when its turn can come).
      execute format('select count(*) from (select 1 from messages where %2$I = $1 and %1$I < $2
          and %3$I is null and status = ''queued'' and %1$I is not null and id <> $3
          and coalesce(delayed_until, %1$I) > $4 limit 1000) h', slot_column, owner_column, sent_column)
        into held using owner, slot, message, now_at - case when fresh then lapse else interval '0' end;
      -- When the last max_count others stop counting: those on their way or still out at now.
      execute format('select array(select e from (
            select least(rate_reach_by, $2) as e from messages where %1$I = $1 and rate_reach_by > $2 - $3
              and id <> $4
            union all
            select $2 from messages where %1$I = $1 and %2$I > $2 - $6 and rate_reach_by is null
              and status = ''queued'' and id <> $4
          ) counted order by e desc limit $5)', owner_column, sent_column)
        into ends using owner, now_at, span, message, max_count, lapse;
      if held = 0 and coalesce(array_length(ends, 1), 0) < max_count then
        execute format('update messages set %I = $1, rate_reach_by = case when $3 then $1 + interval ''1 minute'' end
            where id = $2', sent_column)
          using now_at, message, take;
        return null;
      end if;
      -- A claim of its own that lapsed: held again.
      if claimed is not null then
        execute format('update messages set %I = null where id = $1', sent_column) using message;
      end if;
      -- Its turn is the (held + 1)th share of the rate to free: a window after the one it follows.
      place := max_count - held % max_count;
      turn := case when place <= coalesce(array_length(ends, 1), 0) then ends[place] + span else now_at end
        + span * (held / max_count);
      -- A message before it is late back (its share is free): ask again shortly.
      return greatest(turn, now_at + interval '50 milliseconds');
    end
    $$;

    -- As 0047's, asking only (take false) or taking the turns, and a hand-over taken back no
    -- longer counts as reaching the server.
    create function waymark_take_rate_slots(message uuid, limits jsonb, take boolean) returns timestamptz
    language plpgsql as $$
    declare
      l record;
      passed text[] := '{}';
      kind text;
      until timestamptz;
    begin
      for l in select * from jsonb_to_recordset(limits) as x(kind text, owner uuid, count int, "windowMs" int) loop
        until := waymark_take_rate_slot(l.kind, l.owner, message, l.count, l."windowMs", take);
        if until is not null then
          foreach kind in array passed loop
            execute format('update messages set %I = null, rate_reach_by = null where id = $1',
                waymark_rate_column(kind, 'sent'))
              using message;
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
