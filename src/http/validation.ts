// Request validation. Query strings, params and headers arrive as text, so they are coerced to the schema's types;
// JSON bodies are not: `"5"` where a number belongs is a client bug worth a 400, not a silent fix.
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

function build(options: Options): Ajv {
  // strict: false relaxes schema checks, and with them strictNumbers: turned back on, so Infinity (`1e400`) and NaN
  // are refused like any other value outside a number's range.
  const ajv = new Ajv({
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
    strictNumbers: true,
    ...options,
  });
  addFormats.default(ajv);
  return ajv;
}

const bodyAjv = build({ coerceTypes: false });
const textAjv = build({ coerceTypes: 'array' });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);

/**
 * A JSON-body validator for a value inside a body (a field whose shape depends on another field): null when valid,
 * else the first problem as `{ field, message }` with the field path written the way a client wrote it.
 */
export function compileBodyCheck(
  schema: object,
  prefix: string,
): (value: unknown) => { field: string; message: string } | null {
  const check = bodyAjv.compile(schema);
  return (value) => {
    if (check(value)) return null;
    const first = check.errors?.[0];
    const segments = (first?.instancePath ?? '').split('/').filter(Boolean);
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    if (missing) segments.push(missing);
    const field = segments.reduce(
      (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`),
      prefix,
    );
    return { field, message: missing ? `${field} is required` : `${field} ${first?.message ?? 'is invalid'}` };
  };
}
