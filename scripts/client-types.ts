// TypeScript types for the typed client (src/client/schema.ts), generated from the OpenAPI document by
// openapi-typescript. One function, so the generator and the drift test produce the same text.
import openapiTS, { astToString } from 'openapi-typescript';

export const CLIENT_TYPES_FILE = new URL('../src/client/schema.ts', import.meta.url);

const HEADER = `// Generated from the OpenAPI document by \`npm run generate:client\` (scripts/client-types.ts): do not edit.
// test/integration/client-drift.test.ts fails when this differs from what the server serves.
`;

export async function clientTypes(document: Record<string, unknown>): Promise<string> {
  // biome-ignore lint/suspicious/noExplicitAny: openapi-typescript takes its own OpenAPI3 type; the document is one
  const ast = await openapiTS(document as any, { alphabetize: true, exportType: false });
  return HEADER + astToString(ast);
}
