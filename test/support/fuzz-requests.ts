// Requests generated from the OpenAPI document: valid ones from each operation's schemas (json-schema-faker) and
// mutated ones (wrong types, missing fields, NULs, huge, deep and out-of-range values, garbage headers). Generation is
// pure and seeded (fast-check), so a seed and an index name one request; live ids are placeholders filled at send time.
import fc, { type GeneratorValue } from 'fast-check';
import { generateSync, type JsonSchema } from 'json-schema-faker';

type Schema = Record<string, any>;

export interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required: boolean;
  schema: Schema;
}

export interface Operation {
  /** `POST /v1/runners/sessions/{id}/events`. */
  key: string;
  method: string;
  path: string;
  params: Parameter[];
  body: { kind: 'json'; schema: Schema; required: boolean } | { kind: 'raw' } | { kind: 'none' };
}

/** Which credential a request presents; the driver maps each to a real one (or to none). */
export type Credential =
  | 'admin'
  | 'admin-x-api-key'
  | 'none'
  | 'garbage'
  | 'read-only'
  | 'runner-key'
  | 'grant'
  | 'console';

export interface FuzzRequest {
  operation: string;
  /** Position in this operation's sample: with the seed, it names the request. */
  index: number;
  method: string;
  /** Percent-encoded path and query, with `~~ref.NAME~~` placeholders. */
  url: string;
  headers: Record<string, string>;
  credential: Credential;
  body?: string;
  /** The live id the path names (`claimedSession`, `task`…): `~~ref.attempt~~` is that item's attempt. */
  subject: string | null;
  /** What was changed from a valid request; empty when valid. */
  mutations: string[];
}

/** Where live ids go: which ids a path parameter, query or header parameter or JSON property may name. */
export interface RefRules {
  pathParam(path: string, name: string): string[];
  /** The live id a query or header parameter or JSON property named `name` of the operation on `path` takes. */
  field(name: string, path: string): string | null;
}

export interface PlanOptions {
  refs: RefRules;
  /** Numeric fields that make a request wait (long polls): kept at 0.2 s or less so requests stay short. */
  waitFields: string[];
  /** Makes a generated body meet rules its schema cannot say (a count that must match), before any mutation. */
  adjustBody?(operation: Operation, body: unknown): unknown;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** `schema` with every `#/components/schemas/…` reference replaced by what it names (the generator wants them inline). */
function inlineRefs(schema: any, document: any): any {
  if (Array.isArray(schema)) return schema.map((item) => inlineRefs(item, document));
  if (typeof schema !== 'object' || schema === null) return schema;
  const ref = schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const { $ref: _, ...rest } = schema;
    return inlineRefs({ ...document.components.schemas[ref.slice('#/components/schemas/'.length)], ...rest }, document);
  }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, inlineRefs(value, document)]));
}

/** The operations of an OpenAPI 3.1 document that `include` keeps; `rawBody` names uploads (raw bytes, any type). */
export function operationsOf(
  document: any,
  include: (method: string, path: string) => boolean,
  rawBody: (method: string, path: string) => boolean,
): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
    for (const method of METHODS) {
      const spec = item[method];
      if (!spec || !include(method.toUpperCase(), path)) continue;
      const params: Parameter[] = (spec.parameters ?? []).map((p: any) => ({
        in: p.in,
        name: p.name,
        required: p.required === true,
        schema: inlineRefs(p.schema ?? {}, document),
      }));
      const json = spec.requestBody?.content?.['application/json']?.schema;
      const body: Operation['body'] = json
        ? { kind: 'json', schema: inlineRefs(json, document), required: spec.requestBody.required === true }
        : rawBody(method.toUpperCase(), path)
          ? { kind: 'raw' }
          : { kind: 'none' };
      operations.push({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, params, body });
    }
  }
  return operations;
}

/** `count` requests for one operation, the same ones for the same seed. */
export function planRequests(operation: Operation, count: number, seed: number, options: PlanOptions): FuzzRequest[] {
  const plans = fc.sample(
    fc.gen().map((g) => planRequest(operation, g, options)),
    { seed, numRuns: count },
  );
  return plans.map((plan, index) => ({ ...plan, index }));
}

const ref = (name: string) => `~~ref.${name}~~`;

/**
 * Fills the placeholders of `text` from the live ids: `~~ref.NAME~~` in text, and `"~~num.attempt~~"` (a JSON string)
 * by a bare number; `attempt` is the attempt of the item the request's path names.
 */
export function resolveRefs(
  text: string,
  refs: Record<string, string>,
  attempts: Record<string, number>,
  subject: string | null,
): string {
  const attempt = String(attempts[subject ?? ''] ?? 1);
  return text
    .replace(/"~~num\.attempt~~"/g, () => attempt)
    .replace(/~~ref\.(\w+)~~/g, (_, name: string) =>
      name === 'attempt' ? attempt : (refs[name] ?? `missing-${name}`),
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Hostile values

const NUMBER_LITERALS = [
  '1e400',
  '-1e400',
  '1e-400',
  '9007199254740992',
  '9007199254740993',
  '-9007199254740993',
  '2147483648',
  '-2147483649',
  '123456789012345678901234567890',
  '-1',
  '0',
  '-0',
  '1.5',
  '0.0000001',
];

const UNICODE_STRINGS = [
  '\ud800',
  'a\udfffb',
  '\ud83d',
  '\u0000',
  'nul\u0000inside',
  '💥🙂',
  'Ω≈ç√∫',
  '\u202eevil',
  '\ufeffbom',
  'ｆｕｌｌｗｉｄｔｈ',
  'e\u0301',
  '\u0085\u2028\u2029',
  '日本語のテキスト',
];

const HOSTILE_STRINGS = [
  ...UNICODE_STRINGS,
  '',
  ' ',
  '..',
  '../../etc/passwd',
  '.',
  '%00',
  '%',
  '%zz',
  'x'.repeat(300),
  '1e400',
  '9007199254740993',
  '-1',
  '0',
  '2147483648',
  '1.5',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
  "' or 1=1 --",
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as is
  '${jndi:ldap://x}',
  '\\',
  '/',
  'a,b,,c',
  'pending,nope',
  '0000-00-00T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '+275760-09-13T00:00:00.001Z',
];

/** Path segments already percent-encoded (some deliberately wrongly). */
const HOSTILE_SEGMENTS = [
  '%00',
  'a%00b',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  'a%2Fb',
  '%',
  '%zz',
  '%ED%A0%80',
  '%C3%28',
  '%FF%FE',
  '%F0%9F%92%A5',
  'r%C3%A9sum%C3%A9',
  '%E2%80%AE',
  'x'.repeat(129),
  'x'.repeat(257),
  'x'.repeat(5000),
  '1e400',
  '-1',
  '0',
  '9007199254740993',
  '%20',
  'null',
  "'%20or%201=1",
  '%0d%0aset-cookie:x',
];

/** Header values fetch accepts (Latin-1, no CR, LF or NUL) that a server must still refuse or ignore. */
const HOSTILE_HEADER_VALUES = [
  ' ',
  '-1',
  '0',
  '1e400',
  '9007199254740993',
  '2147483648',
  '1.5',
  '0x10',
  'abc',
  '../..',
  '%00',
  'é',
  'ÿþ',
  'a b',
  '1,2',
  'null',
  'x'.repeat(300),
  'x'.repeat(9000),
];

const GARBAGE_HEADERS = [
  'x-runplane-attempt',
  'x-runner-id',
  'x-runner-instance',
  'idempotency-key',
  'last-event-id',
  'x-csrf-token',
  'x-request-id',
  'x-runner-max-concurrency',
  'x-runner-tags',
];

const WRONG_TYPES: unknown[] = [null, true, false, 'string', 123, -1, 0.5, [], {}, [1, 'a', null], { a: { b: [] } }];

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/json; charset=ü',
  'application/jsonx',
  'application/vnd.api+json',
  '*/*',
  'garbage',
];

// ---------------------------------------------------------------------------------------------------------------
// One request

type Gen = GeneratorValue;

/** A uniform integer: fast-check's default bias towards small values would skew every probability below. */
const uniform = (g: Gen, min: number, max: number) => g(fc.noBias, fc.integer({ min, max }));
const chance = (g: Gen, percent: number) => uniform(g, 0, 99) < percent;
const pick = <T>(g: Gen, values: readonly T[]): T => values[uniform(g, 0, values.length - 1)]!;

/** A valid value for `schema`, small (few items, short strings). */
function validValue(g: Gen, schema: Schema): unknown {
  return generateSync(small(schema) as JsonSchema, {
    seed: uniform(g, 1, 2 ** 31 - 1),
    maxItems: 3,
    maxLength: 40,
    maxDepth: 5,
    optionalsProbability: 0.5,
  });
}

const smallSchemas = new WeakMap<Schema, Schema>();

/**
 * `schema` with its length and item bounds capped: json-schema-faker's time grows with `maxLength` even when its
 * own length option is lower (a 65,536-character bound costs ~80 ms a value).
 */
function small(schema: Schema): Schema {
  let copy = smallSchemas.get(schema);
  if (!copy) {
    copy = capped(schema) as Schema;
    smallSchemas.set(schema, copy);
  }
  return copy;
}

function capped(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(capped);
  if (!node || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) out[key] = capped(value);
  if (typeof out.maxLength === 'number') out.maxLength = Math.max(out.minLength ?? 0, Math.min(out.maxLength, 40));
  if (typeof out.maxItems === 'number') out.maxItems = Math.max(out.minItems ?? 0, Math.min(out.maxItems, 3));
  return out;
}

/** Any code point but a surrogate (fast-check's own `binary` unit spends ~2 s building a table on first use). */
const ANY_CODE_POINT = fc
  .integer({ min: 0, max: 0x10ffff - 0x800 })
  .map((n) => String.fromCodePoint(n < 0xd800 ? n : n + 0x800));

/** A random string: sometimes any code point, sometimes control characters, sometimes a known troublemaker. */
function randomString(g: Gen): string {
  switch (uniform(g, 0, 3)) {
    case 0:
      return g(fc.string, { unit: ANY_CODE_POINT, maxLength: 40 });
    case 1:
      return g(fc.string, { unit: 'binary-ascii', maxLength: 40 });
    case 2:
      return g(fc.string, { unit: 'grapheme', maxLength: 20 });
    default:
      return pick(g, HOSTILE_STRINGS);
  }
}

/** Percent-encodes like encodeURIComponent, but a lone surrogate becomes the (invalid) UTF-8 bytes it would be. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value
      .split('')
      .map((c) => (/[\ud800-\udfff]/.test(c) ? '%ED%A0%80' : encodeURIComponent(c)))
      .join('');
  }
}

/** A header value fetch will send: Latin-1 only, no CR, LF or NUL, trimmed as fetch would. */
function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').trim();
}

const scalarText = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

function planRequest(operation: Operation, g: Gen, options: PlanOptions): Omit<FuzzRequest, 'index'> {
  const mutations: string[] = [];
  const mutating = chance(g, 55);
  // In a mutated request, each part is changed with some chance; at least one part is.
  const targets = new Set<string>();
  if (mutating) {
    const parts = ['header'];
    if (operation.params.some((p) => p.in === 'path')) parts.push('path', 'path');
    if (operation.params.some((p) => p.in === 'query')) parts.push('query', 'query');
    if (operation.body.kind !== 'none' || operation.method !== 'GET') parts.push('body', 'body', 'body');
    targets.add(pick(g, parts));
    if (chance(g, 25)) targets.add(pick(g, parts));
  }

  // Path parameters: a live id most of the time, a generated one sometimes; hostile segments when mutating.
  let subject: string | null = null;
  let path = operation.path;
  for (const param of operation.params.filter((p) => p.in === 'path')) {
    const live = options.refs.pathParam(operation.path, param.name);
    let segment: string;
    if (targets.has('path') && chance(g, 70)) {
      segment = chance(g, 70) ? pick(g, HOSTILE_SEGMENTS) : encode(randomString(g));
      mutations.push(`path ${param.name} = ${segment.slice(0, 40)}`);
    } else if (live.length > 0 && chance(g, 80)) {
      const name = pick(g, live);
      if (param.name === 'id') subject = name;
      segment = ref(name);
    } else {
      segment = encode(scalarText(validValue(g, param.schema)));
    }
    path = path.replace(`{${param.name}}`, segment);
  }

  // Query parameters.
  const query: string[] = [];
  for (const param of operation.params.filter((p) => p.in === 'query')) {
    if (!param.required && chance(g, 40)) continue;
    const live = options.refs.field(param.name, operation.path);
    let value: string;
    if (targets.has('query') && chance(g, 60)) {
      if (param.required && chance(g, 20)) {
        mutations.push(`query ${param.name} missing`);
        continue;
      }
      value = chance(g, 50) ? pick(g, HOSTILE_STRINGS) : chance(g, 50) ? pick(g, NUMBER_LITERALS) : randomString(g);
      mutations.push(`query ${param.name} = ${JSON.stringify(value.slice(0, 40))}`);
      if (chance(g, 15)) query.push(`${encode(param.name)}=${encode(value)}`); // repeated: an array
    } else if (live && chance(g, 75)) {
      query.push(`${encode(param.name)}=${ref(live)}`);
      continue;
    } else {
      value = scalarText(validValue(g, param.schema));
    }
    if (options.waitFields.includes(param.name)) value = shortWait(value) as string;
    query.push(`${encode(param.name)}=${encode(value)}`);
  }
  if (targets.has('query') && chance(g, 20)) {
    const name = pick(g, ['__proto__', 'constructor', 'x'.repeat(200), 'limit[]', 'a.b', '']);
    query.push(`${encode(name)}=${encode(randomString(g))}`);
    mutations.push(`extra query ${name.slice(0, 20)}`);
  }

  // Header parameters: live ids for the identity headers, generated values for the rest; garbage when mutating.
  const headers: Record<string, string> = {};
  for (const param of operation.params.filter((p) => p.in === 'header')) {
    if (!param.required && chance(g, 50)) continue;
    const live = options.refs.field(param.name, operation.path);
    if (live && chance(g, 80)) headers[param.name] = ref(live);
    else headers[param.name] = headerSafe(scalarText(validValue(g, param.schema)));
  }
  if (targets.has('header')) {
    const count = uniform(g, 1, 3);
    for (let i = 0; i < count; i++) {
      const name = pick(g, GARBAGE_HEADERS);
      const value = headerSafe(chance(g, 60) ? pick(g, HOSTILE_HEADER_VALUES) : randomString(g));
      headers[name] = value;
      mutations.push(`header ${name} = ${JSON.stringify(value.slice(0, 40))}`);
    }
  }

  // The body.
  let body: string | undefined;
  if (operation.body.kind === 'json') {
    const planned = jsonBody(g, operation, targets.has('body'), options, mutations);
    body = planned.text;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (targets.has('body') && chance(g, 10)) {
      headers['content-type'] = pick(g, CONTENT_TYPES);
      mutations.push(`content-type ${headers['content-type']}`);
    }
    if (planned.contentType) headers['content-type'] = planned.contentType;
  } else if (operation.body.kind === 'raw') {
    const size = targets.has('body') && chance(g, 30) ? uniform(g, 64_000, 300_000) : 0;
    body = size > 0 ? 'x'.repeat(size) : randomString(g);
    headers['content-type'] = targets.has('body')
      ? pick(g, [...CONTENT_TYPES, 'application/json', ''])
      : pick(g, ['application/octet-stream', 'text/plain; charset=utf-8', 'image/png', 'application/json']);
    if (targets.has('body')) mutations.push(`raw body ${body.length} chars as ${headers['content-type']}`);
    if (headers['content-type'] === '') delete headers['content-type'];
  } else if (targets.has('body') && operation.method !== 'GET') {
    // Routes without a body still get one now and then: JSON junk or text.
    const junk = pick(g, ['{}', '[]', '{"a":', 'null', '"x"', JSON.stringify({ deep: deepValue(200) })]);
    body = junk;
    headers['content-type'] = chance(g, 70) ? 'application/json' : pick(g, CONTENT_TYPES);
    mutations.push(`unexpected body ${junk.slice(0, 20)} as ${headers['content-type']}`);
  }

  return {
    operation: operation.key,
    method: operation.method,
    url: query.length > 0 ? `${path}?${query.join('&')}` : path,
    headers,
    credential: credentialFor(g),
    body,
    subject,
    mutations,
  };
}

function credentialFor(g: Gen): Credential {
  const roll = uniform(g, 0, 999);
  if (roll < 920) return 'admin';
  if (roll < 935) return 'admin-x-api-key';
  if (roll < 945) return 'none';
  if (roll < 952) return 'garbage';
  if (roll < 962) return 'read-only';
  if (roll < 970) return 'runner-key';
  if (roll < 975) return 'grant';
  return 'console';
}

/** A long poll waits at most this long: the park and wake-up paths run, and requests stay short. */
const MAX_WAIT_SECONDS = 0.2;

/** Keeps a long-poll wait short (a mutated value that is not a number is left to be refused). */
function shortWait(value: unknown): unknown {
  const single = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (typeof single === 'boolean') return value;
  const n = Number(single);
  if (Number.isFinite(n) && n > MAX_WAIT_SECONDS)
    return typeof value === 'string' ? String(MAX_WAIT_SECONDS) : MAX_WAIT_SECONDS;
  return value;
}

const deepValue = (levels: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { d: value };
  return value;
};

// ---------------------------------------------------------------------------------------------------------------
// JSON bodies

type PathPart = string | number;
interface Site {
  path: PathPart[];
  value: unknown;
  schema: Schema | null;
}

/** Every node of `value` with the schema that describes it, when known. */
function sitesOf(value: unknown, schema: Schema | null, path: PathPart[] = [], out: Site[] = []): Site[] {
  const resolved = branchFor(value, schema);
  out.push({ path, value, schema: resolved });
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      sitesOf(item, (resolved?.items as Schema | undefined) ?? null, [...path, i], out);
    });
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      sitesOf(child, (resolved?.properties?.[key] as Schema | undefined) ?? null, [...path, key], out);
    }
  }
  return out;
}

const typeOf = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value;

/** The branch of an anyOf/oneOf that fits `value`'s type, or the schema itself. */
function branchFor(value: unknown, schema: Schema | null): Schema | null {
  if (!schema) return null;
  const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (!branches) return schema;
  const type = typeOf(value);
  return branches.find((b) => b.type === type || (type === 'number' && b.type === 'integer') || b.properties) ?? schema;
}

function setAt(root: unknown, path: PathPart[], value: unknown): unknown {
  if (path.length === 0) return value;
  let node = root as Record<PathPart, unknown>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<PathPart, unknown>;
  node[path.at(-1)!] = value;
  return root;
}

const describePath = (path: PathPart[]) => (path.length === 0 ? '(body)' : path.join('.'));

/** Raw JSON text put in place of a placeholder string after serialising (numbers JSON.stringify cannot write). */
const literal = (index: number) => `~~lit.${index}~~`;

function jsonBody(
  g: Gen,
  operation: Operation,
  mutate: boolean,
  options: PlanOptions,
  mutations: string[],
): { text?: string; contentType?: string } {
  const schema = (operation.body as { schema: Schema }).schema;
  let value = validValue(g, schema);
  if (options.adjustBody) value = options.adjustBody(operation, value);
  value = withLiveIds(g, value, (name) => options.refs.field(name, operation.path));
  for (const site of sitesOf(value, schema)) {
    const key = site.path.at(-1);
    if (typeof key === 'string' && options.waitFields.includes(key))
      value = setAt(value, site.path, shortWait(site.value));
  }
  const literals: string[] = [];
  if (mutate) {
    const count = chance(g, 20) ? 2 : 1;
    for (let i = 0; i < count; i++) {
      const outcome = mutateJson(g, value, schema, literals);
      if (outcome.text !== undefined || outcome.contentType !== undefined) {
        mutations.push(outcome.what);
        return { text: outcome.text, contentType: outcome.contentType };
      }
      value = outcome.value;
      mutations.push(outcome.what);
    }
  }
  let text = JSON.stringify(value);
  if (text === undefined) return {};
  literals.forEach((raw, i) => {
    text = text!.replace(JSON.stringify(literal(i)), () => raw);
  });
  return { text };
}

/** Puts live ids into the fields that name them (runner ids, profile ids, attempts), most of the time. */
function withLiveIds(g: Gen, value: unknown, liveFor: (name: string) => string | null): unknown {
  for (const site of sitesOf(value, null)) {
    const key = site.path.at(-1);
    if (typeof key !== 'string') continue;
    const live = liveFor(key);
    if (!live || !chance(g, 75)) continue;
    if (live === 'attempt') value = setAt(value, site.path, '~~num.attempt~~');
    else if (Array.isArray(site.value)) value = setAt(value, site.path, [ref(live)]);
    else value = setAt(value, site.path, ref(live));
  }
  return value;
}

interface Mutated {
  value: unknown;
  what: string;
  text?: string;
  contentType?: string;
}

function mutateJson(g: Gen, root: unknown, schema: Schema, literals: string[]): Mutated {
  const sites = sitesOf(root, schema);
  const site = pick(g, sites);
  const where = describePath(site.path);
  const strings = sites.filter((s) => typeof s.value === 'string');
  const numbers = sites.filter((s) => typeof s.value === 'number' || s.schema?.type === 'integer');
  const objects = sites.filter((s) => typeof s.value === 'object' && s.value !== null && !Array.isArray(s.value));
  const withRequired = objects.filter((s) => (s.schema?.required as string[] | undefined)?.length);
  const enums = sites.filter((s) => Array.isArray(s.schema?.enum));
  const lit = (raw: string) => {
    literals.push(raw);
    return literal(literals.length - 1);
  };

  switch (uniform(g, 0, 11)) {
    case 0: {
      const target = withRequired.length > 0 ? pick(g, withRequired) : null;
      if (!target) break;
      const key = pick(g, target.schema!.required as string[]);
      const copy = { ...(target.value as Record<string, unknown>) };
      delete copy[key];
      return { value: setAt(root, target.path, copy), what: `missing required ${describePath([...target.path, key])}` };
    }
    case 1: {
      const wrong = pick(g, WRONG_TYPES);
      return {
        value: setAt(root, site.path, structuredClone(wrong)),
        what: `wrong type at ${where}: ${JSON.stringify(wrong)}`,
      };
    }
    case 2: {
      const target = strings.length > 0 ? pick(g, strings) : site;
      const text = typeof target.value === 'string' ? target.value : 'x';
      const at = uniform(g, 0, text.length);
      return {
        value: setAt(root, target.path, `${text.slice(0, at)}\u0000${text.slice(at)}`),
        what: `NUL in string at ${describePath(target.path)}`,
      };
    }
    case 3: {
      const target = strings.length > 0 ? pick(g, strings) : site;
      const size = pick(g, [257, 4097, 65_537, 300_000]);
      return {
        value: setAt(root, target.path, 'y'.repeat(size)),
        what: `huge string (${size}) at ${describePath(target.path)}`,
      };
    }
    case 4: {
      const target = strings.length > 0 ? pick(g, strings) : site;
      const text = pick(g, UNICODE_STRINGS);
      return {
        value: setAt(root, target.path, text),
        what: `unicode ${JSON.stringify(text)} at ${describePath(target.path)}`,
      };
    }
    case 5: {
      const target = numbers.length > 0 ? pick(g, numbers) : site;
      const raw = pick(g, NUMBER_LITERALS);
      return { value: setAt(root, target.path, lit(raw)), what: `number ${raw} at ${describePath(target.path)}` };
    }
    case 6: {
      const target = enums.length > 0 ? pick(g, enums) : site;
      const bad = chance(g, 50) ? randomString(g) : `${String(target.value)}x`;
      return {
        value: setAt(root, target.path, bad),
        what: `invalid enum/string ${JSON.stringify(bad.slice(0, 30))} at ${describePath(target.path)}`,
      };
    }
    case 7: {
      const levels = chance(g, 80) ? 200 : 5000;
      // Written as text: building 5,000 levels as a value is fine, but keep serialising cheap and predictable.
      const raw = levels === 200 ? JSON.stringify(deepValue(200)) : `${'['.repeat(levels)}${']'.repeat(levels)}`;
      return { value: setAt(root, site.path, lit(raw)), what: `nested ${levels} levels at ${where}` };
    }
    case 8: {
      const target = objects.length > 0 ? pick(g, objects) : null;
      if (!target) break;
      const extra = pick(g, [
        '"__proto__":{"polluted":true}',
        '"constructor":{"prototype":{"polluted":true}}',
        `"${'k'.repeat(10_000)}":1`,
        Array.from({ length: 2000 }, (_, i) => `"k${i}":${i}`).join(','),
        '"dup":1,"dup":2',
      ]);
      const inner = JSON.stringify(target.value).slice(1, -1);
      const raw = `{${inner}${inner ? ',' : ''}${extra}}`;
      return {
        value: setAt(root, target.path, lit(raw)),
        what: `extra properties at ${describePath(target.path)}: ${extra.slice(0, 40)}`,
      };
    }
    case 9: {
      const whole = pick(g, [
        'null',
        '[]',
        '"text"',
        '42',
        'true',
        '{}',
        '[{}]',
        '{"a":',
        '{"a":1}}',
        '\u0000',
        '"\\ud800"',
        'NaN',
        "{'a':1}",
      ]);
      return { value: root, text: whole, what: `body replaced by ${JSON.stringify(whole)}` };
    }
    case 10: {
      const size = pick(g, [1_100_000, 2_000_000]);
      return { value: root, text: JSON.stringify({ pad: 'z'.repeat(size) }), what: `body of ${size} bytes` };
    }
    default:
      return { value: root, text: '', what: 'empty body declared as JSON', contentType: 'application/json' };
  }
  const wrong = pick(g, WRONG_TYPES);
  return {
    value: setAt(root, site.path, structuredClone(wrong)),
    what: `wrong type at ${where}: ${JSON.stringify(wrong)}`,
  };
}
