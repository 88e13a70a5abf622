// The contract of an external reviewer's stdout: exactly one JSON document
//   {"files": [{"path", "comments": [{"line", "endLine"?, "severity", "body", "suggestion"?}]}], "rating"?}
// checked in full here, so a bad reviewer fails its task with a message quoting the first problem instead of the
// server refusing the result (and the review staying `running`).
import type { ReviewComment, ReviewResult } from '../../core/reviews.ts';
import { checkRelativePath, InvalidTaskInput, quote } from '../task-input.ts';

/** The reviewer's stdout broke the contract; the message says where and how. */
export class ReviewerOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewerOutputError';
  }
}

export interface ReviewerOutput {
  files: { path: string; comments: ReviewComment[] }[];
  rating?: NonNullable<ReviewResult['rating']>;
}

export const SEVERITIES = ['info', 'minor', 'major', 'critical'] as const;
export const RATINGS = ['A', 'B', 'C', 'D', 'F'] as const;
/** The server's limits on a result. */
const MAX_FILES = 3000;
const MAX_COMMENTS_PER_FILE = 1000;
const MAX_TEXT = 65536;

const fail = (message: string) => new ReviewerOutputError(`reviewer output ${message}`);

/** An optional field left out, or written as null. */
const absent = (value: unknown) => value === undefined || value === null;

const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

function object(value: unknown, field: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`${field} must be an object, not ${kind(value)}`);
  }
  const unknown = Object.keys(value).find((key) => !keys.includes(key));
  if (unknown !== undefined)
    throw fail(`${field} has the unknown field ${quote(unknown)} (allowed: ${keys.join(', ')})`);
  return value as Record<string, unknown>;
}

function array(value: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw fail(`${field} must be an array, not ${kind(value)}`);
  if (value.length > max) throw fail(`${field} has ${value.length} entries; at most ${max}`);
  return value;
}

function line(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw fail(`${field} ${quote(value)} is not an integer of at least ${min}`);
  }
  return value;
}

function textField(value: unknown, field: string): string {
  if (typeof value !== 'string') throw fail(`${field} must be a string, not ${kind(value)}`);
  if (value.length > MAX_TEXT) throw fail(`${field} is longer than ${MAX_TEXT} characters`);
  return value;
}

function comment(value: unknown, field: string): ReviewComment {
  const raw = object(value, field, ['line', 'endLine', 'severity', 'body', 'suggestion']);
  const start = line(raw['line'], `${field}.line`, 1);
  const severity = raw['severity'];
  if (!SEVERITIES.includes(severity as never)) {
    throw fail(`${field}.severity ${quote(severity)} is not one of ${SEVERITIES.join(', ')}`);
  }
  const body = textField(raw['body'], `${field}.body`);
  if (!body.trim()) throw fail(`${field}.body is empty`);
  return {
    line: start,
    severity: severity as ReviewComment['severity'],
    body,
    ...(absent(raw['endLine']) ? {} : { endLine: line(raw['endLine'], `${field}.endLine`, start) }),
    ...(absent(raw['suggestion']) ? {} : { suggestion: textField(raw['suggestion'], `${field}.suggestion`) }),
  };
}

/** Parses and checks a reviewer's whole stdout; throws ReviewerOutputError quoting the first problem. */
export function parseReviewerOutput(stdout: string): ReviewerOutput {
  const text = stdout.trim();
  if (!text) throw fail('is empty: stdout must be exactly one JSON document (write progress to stderr)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw fail(
      `is not one JSON document (write progress to stderr): ${JSON.stringify(text.slice(0, 200))}${text.length > 200 ? '…' : ''}`,
    );
  }
  const top = object(parsed, 'document', ['files', 'rating']);
  const files = array(top['files'], 'files', MAX_FILES).map((entry, i) => {
    const field = `files[${i}]`;
    const raw = object(entry, field, ['path', 'comments']);
    let path: string;
    try {
      path = checkRelativePath(raw['path'], `${field}.path`);
    } catch (error) {
      throw error instanceof InvalidTaskInput ? fail(error.message) : error;
    }
    const comments = array(raw['comments'], `${field}.comments`, MAX_COMMENTS_PER_FILE).map((c, j) =>
      comment(c, `${field}.comments[${j}]`),
    );
    return { path, comments };
  });
  const rating = top['rating'];
  if (absent(rating)) return { files };
  if (!RATINGS.includes(rating as never)) throw fail(`rating ${quote(rating)} is not one of ${RATINGS.join(', ')}`);
  return { files, rating: rating as NonNullable<ReviewerOutput['rating']> };
}
