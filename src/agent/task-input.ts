// A claimed task is written by whoever may dispatch work, so the agent checks every field it will use before it
// uses any: nothing here reaches git, a shell, a URL or a file name unchecked. Invariant: no value that passes can be
// read as an option (none starts with '-') and none holds whitespace or control characters.
import type { ChangedFile } from '../core/reviews.ts';

/** A task field the agent refuses to use; the runner reports the task failed with `invalid_task_input: <message>`. */
export class InvalidTaskInput extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidTaskInput';
  }
}

/** A review task whose every field has been checked by checkReviewTask. */
export interface ReviewTask {
  id: string;
  reviewId: string | null;
  repositoryUrl: string;
  branch: string;
  /** Lower-case hex, 40 (SHA-1) or 64 (SHA-256) digits. */
  commitSha: string;
  baseSha: string | null;
  files: ChangedFile[];
  /** Only the model is read from a task's aiConfig, and only from the runner's list; every other key is ignored. */
  aiConfig: { model: string | null };
  attempt: number;
}

/** Bounds on what a task may carry (the server's own limits, so a valid task is never refused by both). */
export const TASK_LIMITS = {
  files: 3000,
  pathChars: 4096,
  patchBytes: 8 * 1024 * 1024,
  totalPatchBytes: 64 * 1024 * 1024,
  urlChars: 2048,
  branchChars: 512,
  modelChars: 256,
} as const;

const CONTROL_OR_SPACE = /[\s\p{Cc}]/u;
const CONTROL = /\p{Cc}/u;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const SCP_LIKE = /^([A-Za-z0-9._][A-Za-z0-9._-]*)@([A-Za-z0-9.][A-Za-z0-9.-]*):(.+)$/;

/** A value for a message: JSON-quoted and cut short, so a hostile value cannot flood a log line. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 120 ? `${json.slice(0, 120)}…` : json;
}

const refuse = (field: string, value: unknown, problem: string) =>
  new InvalidTaskInput(field, `${field} ${quote(value)} ${problem}`);

function text(value: unknown, field: string, maxChars: number): string {
  if (typeof value !== 'string') throw new InvalidTaskInput(field, `${field} must be a string, not ${typeName(value)}`);
  if (value.length === 0) throw new InvalidTaskInput(field, `${field} is empty`);
  if (value.length > maxChars) throw refuse(field, value, `is longer than ${maxChars} characters`);
  return value;
}

const typeName = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

/**
 * A repository URL git may fetch from: https, ssh or git URLs, scp-like `user@host:path`, and file URLs only with
 * --allow-file-repos. Refused: any other scheme or transport (`ext::`, `fd::`), a leading '-', a host or user that
 * starts with '-', whitespace and control characters.
 */
export function checkRepositoryUrl(value: unknown, allowFileRepos: boolean, field = 'repositoryUrl'): string {
  const url = text(value, field, TASK_LIMITS.urlChars);
  if (url.startsWith('-')) throw refuse(field, url, 'starts with "-"');
  if (CONTROL_OR_SPACE.test(url)) throw refuse(field, url, 'contains whitespace or control characters');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const scp = SCP_LIKE.exec(url);
    if (!scp) {
      throw refuse(
        field,
        url,
        'is not a repository URL git may fetch: use https://, ssh://, git:// or user@host:path' +
          (allowFileRepos ? ' or file://' : ''),
      );
    }
    if (scp[3]!.startsWith('-')) throw refuse(field, url, 'has a path that starts with "-"');
    return url;
  }
  if (scheme === 'file') {
    if (!allowFileRepos)
      throw refuse(field, url, 'is a file:// URL, which this runner fetches only with --allow-file-repos');
    if (!/^file:\/\/(?:localhost)?\/[^/]/i.test(url))
      throw refuse(field, url, 'is not a file:// URL of an absolute path');
    return url;
  }
  if (scheme !== 'https' && scheme !== 'ssh' && scheme !== 'git') {
    throw refuse(field, url, `has the scheme "${scheme}"; allowed are https, ssh and git`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refuse(field, url, 'is not a valid URL');
  }
  if (!parsed.hostname) throw refuse(field, url, 'has no host');
  if (parsed.hostname.startsWith('-') || decodeURIComponent(parsed.username).startsWith('-')) {
    throw refuse(field, url, 'has a host or user that starts with "-"');
  }
  return url;
}

/**
 * A branch name by `git check-ref-format --branch` rules: no component starting with '.' or ending in '.lock', no
 * '..', '//', '@{', no control characters, space, ~ ^ : ? * [ \, not ending in '/' or '.', not '@' or 'HEAD', and
 * never a leading '-'.
 */
export function checkBranchName(value: unknown, field = 'branch'): string {
  const name = text(value, field, TASK_LIMITS.branchChars);
  const problem = branchProblem(name);
  if (problem) throw refuse(field, name, `is not a branch name git accepts: ${problem}`);
  return name;
}

function branchProblem(name: string): string | null {
  if (name.startsWith('-')) return 'it starts with "-"';
  if (name === '@' || name === 'HEAD') return `"${name}" is reserved`;
  if (CONTROL_OR_SPACE.test(name)) return 'it contains whitespace or control characters';
  const bad = /[~^:?*[\\]/.exec(name);
  if (bad) return `it contains "${bad[0]}"`;
  if (name.includes('..')) return 'it contains ".."';
  if (name.includes('@{')) return 'it contains "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return 'it has an empty path component';
  if (name.endsWith('.')) return 'it ends with "."';
  for (const component of name.split('/')) {
    if (component.startsWith('.')) return 'a component starts with "."';
    if (component.endsWith('.lock')) return 'a component ends with ".lock"';
  }
  return null;
}

function checkSha(value: unknown, field: string): string {
  if (typeof value !== 'string' || !SHA.test(value)) {
    throw refuse(field, value, 'is not a full commit SHA (40 or 64 hexadecimal digits)');
  }
  return value.toLowerCase();
}

function checkAttempt(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2_147_483_647) {
    throw refuse('attempt', value, 'is not a positive integer');
  }
  return value;
}

function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw refuse(
      field,
      value,
      'is not an id (1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit)',
    );
  }
  return value;
}

/** A path inside the repository: relative, no '..' or '.' components, no NUL or other control characters. */
export function checkRelativePath(value: unknown, field: string): string {
  const file = text(value, field, TASK_LIMITS.pathChars);
  if (CONTROL.test(file)) throw refuse(field, file, 'contains control characters');
  if (file.startsWith('/') || file.startsWith('\\') || /^[A-Za-z]:/.test(file)) {
    throw refuse(field, file, 'is not a relative path');
  }
  if (file.split(/[/\\]/).some((part) => part === '..' || part === '.' || part === '')) {
    throw refuse(field, file, 'has an empty, "." or ".." component');
  }
  return file;
}

function checkFiles(value: unknown): ChangedFile[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidTaskInput('files', `files must be an array, not ${typeName(value)}`);
  if (value.length > TASK_LIMITS.files) {
    throw new InvalidTaskInput('files', `files has ${value.length} entries; at most ${TASK_LIMITS.files} are reviewed`);
  }
  let totalPatchBytes = 0;
  return value.map((entry: unknown, i) => {
    const field = `files[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new InvalidTaskInput(field, `${field} must be an object, not ${typeName(entry)}`);
    }
    const raw = entry as Record<string, unknown>;
    const path = checkRelativePath(raw['path'], `${field}.path`);
    const status = text(raw['status'], `${field}.status`, 32);
    if (!/^[A-Za-z_-]+$/.test(status))
      throw refuse(`${field}.status`, status, 'is not a file status such as "modified"');
    if (raw['patch'] === undefined || raw['patch'] === null) return { path, status };
    if (typeof raw['patch'] !== 'string') {
      throw new InvalidTaskInput(`${field}.patch`, `${field}.patch must be a string, not ${typeName(raw['patch'])}`);
    }
    const bytes = Buffer.byteLength(raw['patch']);
    totalPatchBytes += bytes;
    if (bytes > TASK_LIMITS.patchBytes) {
      throw new InvalidTaskInput(
        `${field}.patch`,
        `${field}.patch is ${bytes} bytes; at most ${TASK_LIMITS.patchBytes}`,
      );
    }
    if (totalPatchBytes > TASK_LIMITS.totalPatchBytes) {
      throw new InvalidTaskInput('files', `the patches of files exceed ${TASK_LIMITS.totalPatchBytes} bytes together`);
    }
    return { path, status, patch: raw['patch'] };
  });
}

function checkModel(aiConfig: unknown, models: readonly string[] | undefined): string | null {
  if (aiConfig === undefined || aiConfig === null) return null;
  if (typeof aiConfig !== 'object' || Array.isArray(aiConfig)) {
    throw new InvalidTaskInput('aiConfig', `aiConfig must be an object, not ${typeName(aiConfig)}`);
  }
  const model = (aiConfig as Record<string, unknown>)['model'];
  if (model === undefined || model === null) return null;
  const name = text(model, 'aiConfig.model', TASK_LIMITS.modelChars);
  if (CONTROL.test(name)) throw refuse('aiConfig.model', name, 'contains control characters');
  if (models && !models.includes(name)) {
    throw refuse(
      'aiConfig.model',
      name,
      models.length
        ? `is not a model this runner offers (--llm-models: ${models.join(', ')})`
        : 'cannot be used: this runner offers no models (--llm-models)',
    );
  }
  return name;
}

/**
 * Checks every field of a claimed review task the agent uses and returns it typed, or throws InvalidTaskInput naming
 * the first bad field. `models`, when given, is the runner's model list: aiConfig.model must be one of them.
 */
export function checkReviewTask(
  task: unknown,
  options: { allowFileRepos: boolean; models?: readonly string[] },
): ReviewTask {
  if (typeof task !== 'object' || task === null || Array.isArray(task)) {
    throw new InvalidTaskInput('task', `the task must be an object, not ${typeName(task)}`);
  }
  const raw = task as Record<string, unknown>;
  return {
    id: checkId(raw['id'], 'id'),
    attempt: checkAttempt(raw['attempt']),
    reviewId: raw['reviewId'] === undefined || raw['reviewId'] === null ? null : checkId(raw['reviewId'], 'reviewId'),
    repositoryUrl: checkRepositoryUrl(raw['repositoryUrl'], options.allowFileRepos),
    branch: checkBranchName(raw['branch']),
    commitSha: checkSha(raw['commitSha'], 'commitSha'),
    baseSha: raw['baseSha'] === undefined || raw['baseSha'] === null ? null : checkSha(raw['baseSha'], 'baseSha'),
    files: checkFiles(raw['files']),
    aiConfig: { model: checkModel(raw['aiConfig'], options.models) },
  };
}

/** The URL as it may be logged: a password, or the user of an https URL (where tokens go), shown as `***`. */
export function displayUrl(url: string): string {
  if (!/^[a-z]+:\/\//i.test(url)) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.protocol === 'https:' && parsed.username) parsed.username = '***';
    return parsed.href;
  } catch {
    return url;
  }
}
