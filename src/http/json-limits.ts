// What JSON.parse accepts but nothing behind it can hold: nesting deep enough to overflow a recursive serialiser,
// and NUL characters, which PostgreSQL text and jsonb refuse. Checked once per body, iteratively (no recursion).

export const MAX_JSON_DEPTH = 64;

/** The first problem of a parsed body as `{ field, message }`, or null. */
export function jsonLimitProblem(value: unknown): { field: string; message: string } | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    const field = path || 'body';
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return { field, message: `${field} contains a NUL character (\\u0000)` };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return { field, message: `${field} is nested deeper than ${MAX_JSON_DEPTH} levels` };
    if (Array.isArray(current)) {
      for (const [index, item] of current.entries())
        stack.push({ value: item, path: `${path}[${index}]`, depth: depth + 1 });
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      const child = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return { field: child, message: `a key in ${field} contains a NUL character` };
      stack.push({ value: item, path: child, depth: depth + 1 });
    }
  }
  return null;
}
