// The built-in reviewer: an OpenAI-compatible Chat Completions endpoint reads the diff (split into chunks within a
// token budget) and answers structured JSON comments, which are validated and kept only where they point at lines
// of the diff. Endpoint, model list and key come from the runner's own flags, never from the task (a task may only
// pick one of the runner's models), and the key is sent to that endpoint alone: redirects are refused.
import type { ReviewComment } from '../../core/reviews.ts';
import { commentableLines, type DiffFile, numberedPatch } from './diff.ts';
import { RATINGS, SEVERITIES } from './reviewer-output.ts';

export interface LlmSettings {
  baseUrl: string;
  model: string;
  apiKey: string | null;
  /** Rough prompt budget per request, in tokens (≈ 4 characters each). */
  tokenBudget: number;
}

export interface ReviewOutput {
  files: { path: string; comments: ReviewComment[] }[];
  rating: 'A' | 'B' | 'C' | 'D' | 'F';
  summary: string;
  usage: { promptTokens: number; completionTokens: number; requests: number };
  dropped: number;
}

/** The server keeps at most this many comments per file. */
const MAX_COMMENTS_PER_FILE = 1000;

const SYSTEM_PROMPT = `You are a meticulous senior code reviewer. You receive a unified diff; each kept line of the
new version is prefixed with its line number. Review only the changes. Answer with one JSON object:
{"comments": [{"path": string, "line": number, "endLine"?: number, "severity": "info"|"minor"|"major"|"critical",
"body": string, "suggestion"?: string}], "rating": "A"|"B"|"C"|"D"|"F", "summary": string}.
"line" must be a numbered line of that file in the diff. Rate A (excellent) to F (must not merge).`;

/** Groups files into chunks whose text stays within the budget; a file larger than the budget is split by hunks. */
export function chunkDiff(files: DiffFile[], tokenBudget: number): string[] {
  const maxChars = tokenBudget * 4;
  const pieces: string[] = [];
  for (const file of files) {
    const body = numberedPatch(file.patch);
    const header = `### ${file.path} (${file.status})\n`;
    if (header.length + body.length <= maxChars) {
      pieces.push(header + body);
      continue;
    }
    let current = header;
    for (const hunk of body.split(/\n(?=@@)/)) {
      if (current.length + hunk.length > maxChars && current !== header) {
        pieces.push(current);
        current = header;
      }
      current += `${hunk.slice(0, maxChars - header.length)}\n`;
    }
    pieces.push(current);
  }
  const chunks: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (current && current.length + piece.length > maxChars) {
      chunks.push(current);
      current = '';
    }
    current += `${piece}\n`;
  }
  if (current) chunks.push(current);
  return chunks;
}

interface ModelComment {
  path?: unknown;
  line?: unknown;
  endLine?: unknown;
  severity?: unknown;
  body?: unknown;
  suggestion?: unknown;
}

async function complete(settings: LlmSettings, chunk: string, signal: AbortSignal) {
  let response: Response;
  try {
    response = await fetch(`${settings.baseUrl.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: settings.model,
        temperature: 0,
        response_format: { type: 'json_object' },
        messages: [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: `Review this diff:\n\n${chunk}` },
        ],
      }),
      signal,
      // A redirect would carry the key to wherever the endpoint points; the runner's --llm-base-url must be final.
      redirect: 'error',
    });
  } catch (error) {
    if (signal.aborted) throw error;
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new Error(`the model endpoint (--llm-base-url) could not be used: ${cause}`);
  }
  if (!response.ok) {
    throw new Error(`the model endpoint answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
  const body = (await response.json()) as {
    choices?: { message?: { content?: string } }[];
    usage?: { prompt_tokens?: number; completion_tokens?: number };
  };
  const content = body.choices?.[0]?.message?.content ?? '';
  let parsed: { comments?: unknown; rating?: unknown; summary?: unknown };
  try {
    parsed = JSON.parse(content.replace(/^```(?:json)?\s*|\s*```$/g, ''));
  } catch {
    throw new Error('the model did not answer JSON; try a model that supports response_format json_object');
  }
  return { parsed, usage: body.usage ?? {} };
}

export async function reviewWithLlm(
  settings: LlmSettings,
  files: DiffFile[],
  signal: AbortSignal,
): Promise<ReviewOutput> {
  const valid = new Map(files.map((file) => [file.path, commentableLines(file.patch)]));
  const byPath = new Map<string, ReviewComment[]>();
  const usage = { promptTokens: 0, completionTokens: 0, requests: 0 };
  const ratings: (typeof RATINGS)[number][] = [];
  const summaries: string[] = [];
  let dropped = 0;
  for (const chunk of chunkDiff(files, settings.tokenBudget)) {
    const { parsed, usage: used } = await complete(settings, chunk, signal);
    usage.requests++;
    usage.promptTokens += used.prompt_tokens ?? 0;
    usage.completionTokens += used.completion_tokens ?? 0;
    if (RATINGS.includes(parsed.rating as never)) ratings.push(parsed.rating as (typeof RATINGS)[number]);
    if (typeof parsed.summary === 'string') summaries.push(parsed.summary);
    for (const raw of Array.isArray(parsed.comments) ? (parsed.comments as ModelComment[]) : []) {
      const path = typeof raw.path === 'string' ? raw.path : '';
      const line = Number(raw.line);
      const lines = valid.get(path);
      const body = typeof raw.body === 'string' ? raw.body.trim() : '';
      // Only comments that land on a line of the diff can be posted inline; the rest are dropped and counted.
      if (!lines?.has(line) || !body || (byPath.get(path)?.length ?? 0) >= MAX_COMMENTS_PER_FILE) {
        dropped++;
        continue;
      }
      const endLine = Number(raw.endLine);
      const comment: ReviewComment = {
        line,
        severity: SEVERITIES.includes(raw.severity as never) ? (raw.severity as ReviewComment['severity']) : 'info',
        body: body.slice(0, 60_000),
        ...(Number.isInteger(endLine) && endLine > line && lines.has(endLine) ? { endLine } : {}),
        ...(typeof raw.suggestion === 'string' && raw.suggestion
          ? { suggestion: raw.suggestion.slice(0, 60_000) }
          : {}),
      };
      byPath.set(path, [...(byPath.get(path) ?? []), comment]);
    }
  }
  // The review is as good as its worst part.
  const rating = ratings.reduce<(typeof RATINGS)[number]>(
    (worst, r) => (RATINGS.indexOf(r) > RATINGS.indexOf(worst) ? r : worst),
    'A',
  );
  return {
    files: [...byPath].map(([path, comments]) => ({ path, comments: comments.sort((a, b) => a.line - b.line) })),
    rating,
    summary: summaries.join('\n'),
    usage,
    dropped,
  };
}
