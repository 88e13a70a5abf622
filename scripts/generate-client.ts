// `npm run generate:client`: writes src/client/schema.ts from the document this checkout's server serves.
import fs from 'node:fs';
import { openApiDocument } from '../src/http/document.ts';
import { CLIENT_TYPES_FILE, clientTypes } from './client-types.ts';

process.stderr.write('building the OpenAPI document…\n');
const text = await clientTypes(await openApiDocument());
const before = fs.existsSync(CLIENT_TYPES_FILE) ? fs.readFileSync(CLIENT_TYPES_FILE, 'utf8') : '';
fs.writeFileSync(CLIENT_TYPES_FILE, text);
process.stderr.write(
  before === text ? 'src/client/schema.ts is up to date\n' : 'wrote src/client/schema.ts (commit it with the change)\n',
);
