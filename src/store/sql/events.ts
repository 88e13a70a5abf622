// Reading the per-item event log. Events are written by the statement that writes their item row (writeItemRow in
// items.ts): sequence numbers come from the row's last_event_seq, bumped by the same statement, so concurrent
// appenders serialise on the row and seq has no gaps or duplicates.
import type { EventLevel, ItemEvent } from '../../core/types.ts';
import type { Queryable } from '../db.ts';

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
