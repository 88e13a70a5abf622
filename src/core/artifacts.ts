// Session artifacts: produced files, streamed into blob storage with their size and SHA-256.
import type { Readable } from 'node:stream';
import { BlobTooLarge } from '../store/blobs.ts';
import type { Queryable } from '../store/db.ts';
import { getArtifact, insertArtifact, listArtifacts } from '../store/sql/artifacts.ts';
import { updateItem } from '../store/sql/items.ts';
import { recordAudit } from './audit.ts';
import type { Core } from './context.ts';
import { DomainError, notFound } from './errors.ts';
import { newId } from './ids.ts';
import { getItemOrThrow, lockForWrite } from './items.ts';
import type { Artifact, NewEvent, WriterIdentity } from './types.ts';
import { announceItemNews } from './work-announce.ts';

export async function uploadArtifact(
  core: Core,
  orgId: string,
  sessionId: string,
  upload: { name: string; contentType: string; body: Readable },
  writer: WriterIdentity,
): Promise<{ artifact: Artifact; cancelRequested: boolean }> {
  // Fence (or check) before taking the bytes, so a stale runner's upload is refused without storing anything, and
  // again under the row lock of the transaction that commits it: the attempt may have ended while the bytes came.
  const rules = { what: 'session', operatorAllowed: () => true };
  const check = (tx: Queryable) => lockForWrite(tx, orgId, sessionId, writer, 'upload an artifact', rules);
  await core.db.tx(check);
  const id = newId('art');
  try {
    const stored = await core.blobs.write(id, upload.body, core.config.artifactMaxBytes, async (tx, blob) => {
      const { item, context } = await check(tx);
      const artifact = await insertArtifact(tx, {
        id,
        orgId,
        itemId: sessionId,
        name: upload.name,
        contentType: upload.contentType,
        size: blob.size,
        sha256: blob.sha256,
      });
      const event: NewEvent = {
        type: 'artifact',
        level: 'info',
        message: upload.name,
        data: { artifactId: id, size: blob.size, sha256: blob.sha256 },
      };
      await updateItem(tx, sessionId, { lease: context.lease }, { events: [event] });
      await recordAudit(tx, `${sessionId}/${id}`);
      return { artifact, cancelRequested: item.state === 'cancel_requested' };
    });
    announceItemNews(core, orgId, [sessionId]);
    return stored;
  } catch (error) {
    if (error instanceof BlobTooLarge) {
      throw new DomainError(
        'too_large',
        'artifact_too_large',
        `the artifact is larger than ${error.maxBytes} bytes (RUNPLANE_ARTIFACT_MAX_BYTES)`,
      );
    }
    throw error;
  }
}

export async function listSessionArtifacts(core: Core, orgId: string, sessionId: string): Promise<Artifact[]> {
  await getItemOrThrow(core.db, orgId, sessionId, 'session');
  return listArtifacts(core.db, sessionId);
}

export async function openArtifact(
  core: Core,
  orgId: string,
  sessionId: string,
  artifactId: string,
): Promise<{ artifact: Artifact; content: Readable }> {
  await getItemOrThrow(core.db, orgId, sessionId, 'session');
  const artifact = await getArtifact(core.db, sessionId, artifactId);
  if (!artifact) throw notFound('artifact', artifactId);
  return { artifact, content: core.blobs.read(artifactId) };
}
