// The per-item event log. Sequence numbers come from the item row (last_event_seq), bumped in the same statement
// that inserts the batch, so concurrent appenders serialise on the row and seq has no gaps or duplicates.
import type { EventLevel, ItemEvent, NewEvent } from '../../core/types.ts';
import { json, type Queryable } from '../db.ts';

interface EventRow {
  item_id: string;
  seq: number;
  type: string;
  level: EventLevel;
  message: string;
  data: unknown;
  ts: Date;
  received_at: Date;
}

const toEvent = (row: EventRow): ItemEvent => ({
  itemId: row.item_id,
  seq: row.seq,
  type: row.type,
  level: row.level,
  message: row.message,
  data: row.data,
  ts: row.ts,
  receivedAt: row.received_at,
});

/** Appends a batch as one multi-row INSERT; returns the stored events in order. */
export async function appendEvents(q: Queryable, itemId: string, events: readonly NewEvent[]): Promise<ItemEvent[]> {
  if (events.length === 0) return [];
  const rows = await q.query<EventRow>(
    `with bumped as (
       update items set last_event_seq = last_event_seq + $3 where id = $1 returning last_event_seq
     )
     insert into item_events (item_id, seq, type, level, message, data, ts)
     select $1, bumped.last_event_seq - $3 + e.ord::int, e.x->>'type', e.x->>'level', coalesce(e.x->>'message', ''),
            e.x->'data', coalesce((e.x->>'ts')::timestamptz, now())
     from bumped, jsonb_array_elements($2::jsonb) with ordinality as e(x, ord)
     returning *`,
    [
      itemId,
      json(
        events.map((e) => ({
          type: e.type,
          level: e.level,
          message: e.message,
          data: e.data ?? null,
          ts: e.ts ?? null,
        })),
      ),
      events.length,
    ],
  );
  return rows.map(toEvent).sort((a, b) => a.seq - b.seq);
}

export async function listEvents(
  q: Queryable,
  itemId: string,
  options: { after: number; limit: number; type?: string | null },
): Promise<ItemEvent[]> {
  const rows = await q.query<EventRow>(
    `select * from item_events where item_id = $1 and seq > $2 and ($4::text is null or type = $4)
     order by seq limit $3`,
    [itemId, options.after, options.limit, options.type ?? null],
  );
  return rows.map(toEvent);
}
