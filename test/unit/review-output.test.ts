import { describe, expect, it } from 'vitest';
import { parseReviewerOutput, ReviewerOutputError } from '../../src/agent/review/reviewer-output.ts';

const comment = (overrides: Record<string, unknown> = {}) => ({
  line: 3,
  severity: 'minor',
  body: 'Name it for what it holds.',
  ...overrides,
});
const doc = (overrides: Record<string, unknown> = {}, comments: unknown[] = [comment()]) =>
  JSON.stringify({ files: [{ path: 'src/app.ts', comments }], rating: 'B', ...overrides });

describe('reviewer output', () => {
  it('a valid document gives files, comments and rating', () => {
    const output = parseReviewerOutput(
      `${doc({}, [comment(), comment({ line: 5, endLine: 7, severity: 'critical', suggestion: 'x', body: 'b' })])}\n`,
    );
    expect(output).toEqual({
      files: [
        {
          path: 'src/app.ts',
          comments: [
            { line: 3, severity: 'minor', body: 'Name it for what it holds.' },
            { line: 5, endLine: 7, severity: 'critical', body: 'b', suggestion: 'x' },
          ],
        },
      ],
      rating: 'B',
    });
  });

  it('rating, endLine and suggestion are optional (null counts as absent)', () => {
    expect(parseReviewerOutput('{"files":[]}')).toEqual({ files: [] });
    expect(parseReviewerOutput(doc({ rating: null }, [comment({ endLine: null, suggestion: null })]))).toEqual({
      files: [{ path: 'src/app.ts', comments: [comment()] }],
    });
  });

  const invalid: [string, string, string][] = [
    [
      'an unknown severity',
      doc({}, [comment(), comment(), comment({ severity: 'warning' })]),
      'reviewer output files[0].comments[2].severity "warning" is not one of info, minor, major, critical',
    ],
    [
      'not JSON',
      'looks good to me',
      'reviewer output is not one JSON document (write progress to stderr): "looks good to me"',
    ],
    [
      'two JSON documents',
      '{"files":[]}\n{"files":[]}',
      'reviewer output is not one JSON document (write progress to stderr): "{\\"files\\":[]}\\n{\\"files\\":[]}"',
    ],
    ['a progress line before the JSON', `progress 50%\n${doc()}`, 'reviewer output is not one JSON document'],
    ['rating E', doc({ rating: 'E' }), 'reviewer output rating "E" is not one of A, B, C, D, F'],
    ['nothing at all', '  \n', 'reviewer output is empty'],
    ['an array', '[]', 'reviewer output document must be an object, not an array'],
    ['no files', '{"rating":"A"}', 'reviewer output files must be an array, not undefined'],
    ['an unknown field', doc({ summary: 'x' }), 'reviewer output document has the unknown field "summary"'],
    [
      'line 0',
      doc({}, [comment({ line: 0 })]),
      'reviewer output files[0].comments[0].line 0 is not an integer of at least 1',
    ],
    [
      'a line as text',
      doc({}, [comment({ line: '3' })]),
      'reviewer output files[0].comments[0].line "3" is not an integer',
    ],
    [
      'endLine before line',
      doc({}, [comment({ endLine: 2 })]),
      'reviewer output files[0].comments[0].endLine 2 is not an integer of at least 3',
    ],
    ['an empty body', doc({}, [comment({ body: ' ' })]), 'reviewer output files[0].comments[0].body is empty'],
    [
      'a path outside the repository',
      JSON.stringify({ files: [{ path: '../x', comments: [] }] }),
      'reviewer output files[0].path "../x" has an empty, "." or ".." component',
    ],
    [
      'too many comments on a file',
      doc(
        {},
        Array.from({ length: 1001 }, () => comment()),
      ),
      'reviewer output files[0].comments has 1001 entries; at most 1000',
    ],
    ['a body over 64 KiB', doc({}, [comment({ body: 'x'.repeat(65537) })]), 'body is longer than 65536 characters'],
  ];

  it.each(invalid)('%s fails with a message quoting the first problem', (_name, stdout, message) => {
    let error: unknown;
    try {
      parseReviewerOutput(stdout);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ReviewerOutputError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toMatch(/Unexpected token|JSON at position/);
  });

  it('quotes at most 200 characters of output that is not JSON', () => {
    const error = (() => {
      try {
        parseReviewerOutput(`x${'y'.repeat(10_000)}`);
      } catch (thrown) {
        return thrown as Error;
      }
    })();
    expect(error!.message.length).toBeLessThan(300);
  });
});
