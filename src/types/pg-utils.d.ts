// `pg` ships no types for its utilities; the one the embedded session uses (the driver's own parameter serialiser).
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): string | Buffer | null };
  export default utils;
}
