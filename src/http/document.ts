// The OpenAPI document without a running server: the app built on a throwaway in-memory store, asked for its
// document, closed. What `runplane openapi` prints and the typed client is generated from.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config.ts';
import { createCore } from '../core/context.ts';
import { openEmbedded } from '../store/embedded.ts';
import { migrate } from '../store/migrate.ts';
import { buildApp } from './app.ts';

export async function openApiDocument(): Promise<Record<string, unknown>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runplane-openapi-'));
  const db = await openEmbedded({ memory: true });
  try {
    await migrate(db);
    const app = await buildApp(createCore(db, { ...loadConfig({}), dataDir }), { logger: false });
    try {
      await app.ready();
      return app.swagger() as unknown as Record<string, unknown>;
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
