// Session checkpoints: numbered snapshots a runner stores so a later attempt can resume from the latest one.
import type { Checkpoint } from '../../core/types.ts';
import { json, type Queryable } from '../db.ts';

/** Stores the next checkpoint of an item (the item row is locked by the caller). */
export async function insertCheckpoint(q: Queryable, itemId: string, data: unknown): Promise<Checkpoint> {
  const rows = await q.query<{ seq: number; data: unknown; created_at: Date }>(
    `with bumped as (
       update items set last_checkpoint_seq = last_checkpoint_seq + 1 where id = $1 returning last_checkpoint_seq
     )
     insert into checkpoints (item_id, seq, data) select $1, last_checkpoint_seq, $2::jsonb from bumped
     returning seq, data, created_at`,
    [itemId, json(data)],
  );
  const row = rows[0]!;
  return { seq: row.seq, data: row.data, createdAt: row.created_at };
}

export async function latestCheckpoints(q: Queryable, itemIds: string[]): Promise<Map<string, Checkpoint>> {
  if (itemIds.length === 0) return new Map();
  const rows = await q.query<{ item_id: string; seq: number; data: unknown; created_at: Date }>(
    `select c.item_id, c.seq, c.data, c.created_at from checkpoints c join items i on i.id = c.item_id
     where c.item_id = any($1::text[]) and c.seq = i.last_checkpoint_seq`,
    [itemIds],
  );
  return new Map(rows.map((row) => [row.item_id, { seq: row.seq, data: row.data, createdAt: row.created_at }]));
}
