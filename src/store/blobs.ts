// Artifact bytes behind one interface. PostgreSQL keeps them in artifact_chunks (every instance sees them); the
// embedded store keeps files under the data directory. Both stream: an upload is never held whole in memory.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db, Queryable } from './db.ts';
import { deleteChunks, deleteStagedChunks, insertChunk, readChunk } from './sql/artifacts.ts';

export class BlobTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than ${maxBytes} bytes`);
  }
}

export interface StoredBlob {
  size: number;
  sha256: string;
}

export interface BlobStore {
  /**
   * Streams `source` into the blob `id`, refusing past `maxBytes`, then runs `commit` (the metadata row) so both land
   * together or neither does.
   */
  write<T>(
    id: string,
    source: Readable,
    maxBytes: number,
    commit: (tx: Queryable, blob: StoredBlob) => Promise<T>,
  ): Promise<T>;
  read(id: string): Readable;
  /** Deletes bytes staged by uploads that never committed (a crash, a refused commit) older than `olderThanMs`. */
  sweepStaged(olderThanMs: number): Promise<number>;
}

// Rows of 256 KiB: large enough that a 100 MiB artifact is 400 rows, small enough that the driver's per-query
// buffers stay small (a 50 MiB upload grows the server's RSS by well under 64 MiB; see test/e2e).
const CHUNK_BYTES = 256 * 1024;

/** Counts and hashes what passes, and stops past the limit. */
async function* measured(
  source: AsyncIterable<Buffer>,
  maxBytes: number,
  into: StoredBlob & { hash: ReturnType<typeof createHash> },
) {
  for await (const chunk of source) {
    into.size += chunk.length;
    if (into.size > maxBytes) throw new BlobTooLarge(maxBytes);
    into.hash.update(chunk);
    yield chunk;
  }
}

export class PostgresBlobStore implements BlobStore {
  constructor(private readonly db: Db) {}

  async write<T>(
    id: string,
    source: Readable,
    maxBytes: number,
    commit: (tx: Queryable, blob: StoredBlob) => Promise<T>,
  ) {
    const state = { size: 0, sha256: '', hash: createHash('sha256') };
    // The bytes are staged outside any transaction (each chunk row commits on its own, under the artifact's id), so
    // a slow client never holds a pooled connection or a row lock; the metadata then commits in one short
    // transaction. A failed upload deletes what it staged; a crash leaves rows the sweeper removes.
    try {
      // One buffer, reused for every row: incoming pieces are copied in, a full buffer becomes one row.
      const row = Buffer.allocUnsafe(CHUNK_BYTES);
      let filled = 0;
      let seq = 0;
      const flush = async () => {
        if (filled === 0) return;
        await insertChunk(this.db, id, seq++, row.subarray(0, filled));
        filled = 0;
      };
      for await (const piece of measured(source, maxBytes, state)) {
        let offset = 0;
        while (offset < piece.length) {
          const copied = piece.copy(row, filled, offset);
          filled += copied;
          offset += copied;
          if (filled === CHUNK_BYTES) await flush();
        }
      }
      await flush();
      const blob = { size: state.size, sha256: state.hash.digest('hex') };
      return await this.db.tx((tx) => commit(tx, blob));
    } catch (error) {
      await deleteChunks(this.db, id).catch(() => {});
      throw error;
    }
  }

  read(id: string): Readable {
    const db = this.db;
    return Readable.from(
      (async function* () {
        for (let seq = 0; ; seq++) {
          const chunk = await readChunk(db, id, seq);
          if (!chunk) return;
          yield chunk;
        }
      })(),
    );
  }

  sweepStaged(olderThanMs: number): Promise<number> {
    return deleteStagedChunks(this.db, olderThanMs);
  }
}

export class FileBlobStore implements BlobStore {
  constructor(
    private readonly db: Db,
    private readonly dir: string,
  ) {}

  private file(id: string) {
    return path.join(this.dir, id);
  }

  async write<T>(
    id: string,
    source: Readable,
    maxBytes: number,
    commit: (tx: Queryable, blob: StoredBlob) => Promise<T>,
  ) {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const state = { size: 0, sha256: '', hash: createHash('sha256') };
    const partial = `${this.file(id)}.part`;
    try {
      await pipeline(measured(source, maxBytes, state), fs.createWriteStream(partial));
      const blob = { size: state.size, sha256: state.hash.digest('hex') };
      // The row commits first and then the file is renamed into place; a crash in between leaves a .part file
      // and a row whose download fails, never a row pointing at partial bytes.
      const result = await this.db.tx((tx) => commit(tx, blob));
      await fs.promises.rename(partial, this.file(id));
      return result;
    } catch (error) {
      await fs.promises.rm(partial, { force: true });
      throw error;
    }
  }

  read(id: string): Readable {
    return fs.createReadStream(this.file(id));
  }

  async sweepStaged(olderThanMs: number): Promise<number> {
    let removed = 0;
    const entries = await fs.promises.readdir(this.dir).catch(() => [] as string[]);
    for (const name of entries.filter((entry) => entry.endsWith('.part'))) {
      const file = path.join(this.dir, name);
      const stat = await fs.promises.stat(file).catch(() => null);
      if (stat && Date.now() - stat.mtimeMs > olderThanMs) {
        await fs.promises.rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }
}
