// Artifact records (the bytes live behind the blob store: artifact_chunks on PostgreSQL, files when embedded).
import type { Artifact } from '../../core/types.ts';
import type { Queryable } from '../db.ts';

interface ArtifactRow {
  id: string;
  org_id: string;
  item_id: string;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  created_at: Date;
}

const toArtifact = (row: ArtifactRow): Artifact => ({
  id: row.id,
  orgId: row.org_id,
  itemId: row.item_id,
  name: row.name,
  contentType: row.content_type,
  size: row.size,
  sha256: row.sha256,
  createdAt: row.created_at,
});

export async function insertArtifact(q: Queryable, artifact: Omit<Artifact, 'createdAt'>): Promise<Artifact> {
  const rows = await q.query<ArtifactRow>(
    `insert into artifacts (id, org_id, item_id, name, content_type, size, sha256)
     values ($1, $2, $3, $4, $5, $6, $7) returning *`,
    [artifact.id, artifact.orgId, artifact.itemId, artifact.name, artifact.contentType, artifact.size, artifact.sha256],
  );
  return toArtifact(rows[0]!);
}

export async function listArtifacts(q: Queryable, itemId: string): Promise<Artifact[]> {
  const rows = await q.query<ArtifactRow>('select * from artifacts where item_id = $1 order by created_at, id', [
    itemId,
  ]);
  return rows.map(toArtifact);
}

export async function getArtifact(q: Queryable, itemId: string, id: string): Promise<Artifact | null> {
  const rows = await q.query<ArtifactRow>('select * from artifacts where item_id = $1 and id = $2', [itemId, id]);
  return rows[0] ? toArtifact(rows[0]) : null;
}

export async function insertChunk(q: Queryable, artifactId: string, seq: number, data: Buffer): Promise<void> {
  await q.query('insert into artifact_chunks (artifact_id, seq, data) values ($1, $2, $3)', [artifactId, seq, data]);
}

export async function readChunk(q: Queryable, artifactId: string, seq: number): Promise<Buffer | null> {
  const rows = await q.query<{ data: Buffer }>('select data from artifact_chunks where artifact_id = $1 and seq = $2', [
    artifactId,
    seq,
  ]);
  return rows[0]?.data ?? null;
}

export async function deleteChunks(q: Queryable, artifactId: string): Promise<void> {
  await q.query('delete from artifact_chunks where artifact_id = $1', [artifactId]);
}

/** Chunks staged by uploads that never got their artifact row, older than `olderThanMs`. */
export async function deleteStagedChunks(q: Queryable, olderThanMs: number): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `with gone as (
       delete from artifact_chunks c
       where c.staged_at < now() - $1 * interval '1 millisecond'
         and not exists (select 1 from artifacts a where a.id = c.artifact_id)
       returning 1
     )
     select count(*)::int as n from gone`,
    [olderThanMs],
  );
  return rows[0]?.n ?? 0;
}
