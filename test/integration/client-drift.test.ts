// The committed typed client (src/client/schema.ts) is what openapi-typescript makes of the document the server
// serves: a route or schema change without `npm run generate:client` fails here.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLIENT_TYPES_FILE, clientTypes } from '../../scripts/client-types.ts';
import { createRunplaneClient } from '../../src/client/index.ts';
import { client, newKey, useTestServer } from '../support/server.ts';

describe('the typed client', () => {
  const t = useTestServer('embedded');

  it('matches the served OpenAPI document (run `npm run generate:client` when this fails)', async () => {
    const document = (await client(t.server.url, null).get('/openapi.json')).body;
    const generated = await clientTypes(document);
    expect(generated === fs.readFileSync(CLIENT_TYPES_FILE, 'utf8'), 'src/client/schema.ts is stale').toBe(true);
  }, 60_000);

  it('talks to the server: typed answers, and the error body on a refusal', async () => {
    const key = await newKey(t.db, 'acme', ['runners:read', 'runners:write']);
    const runplane = createRunplaneClient({ baseUrl: `${t.server.url}/`, apiKey: key });
    const created = await runplane.POST('/v1/runners/profiles', { body: { name: 'typed' } });
    expect(created.response.status).toBe(201);
    expect(created.data?.name).toBe('typed');
    const missing = await runplane.GET('/v1/runners/sessions/{id}', { params: { path: { id: 'nope' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error.code).toBe('not_found');
    const anonymous = await createRunplaneClient({ baseUrl: t.server.url }).GET('/v1/runners/profiles', {});
    expect(anonymous.response.status).toBe(401);
  });
});
