// Webhook deliveries already turned into reviews, so a redelivered webhook creates nothing new.
import type { Queryable } from '../db.ts';

/** Records a delivery id; returns false when it was seen before (the caller then does nothing). */
export async function recordWebhookDelivery(q: Queryable, id: string, orgId: string): Promise<boolean> {
  const rows = await q.query(
    'insert into webhook_deliveries (id, org_id) values ($1, $2) on conflict (id) do nothing returning id',
    [id, orgId],
  );
  return rows.length > 0;
}

export async function linkWebhookDelivery(q: Queryable, id: string, reviewId: string): Promise<void> {
  await q.query('update webhook_deliveries set review_id = $2 where id = $1', [id, reviewId]);
}

export async function reviewOfWebhookDelivery(q: Queryable, id: string): Promise<string | null> {
  const rows = await q.query<{ review_id: string | null }>('select review_id from webhook_deliveries where id = $1', [
    id,
  ]);
  return rows[0]?.review_id ?? null;
}
