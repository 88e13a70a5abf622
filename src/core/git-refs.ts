// What Runplane accepts as the git coordinates of a review, in one place: the HTTP schemas, the GitHub intake and the
// runner agent's own checks follow the same rules. None of them can start with '-', so none can become an option.

/** A full object id: SHA-1 (40) or SHA-256 (64) hex. A runner fetches by it, so an abbreviation would not do. */
export const SHA_PATTERN = '^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$';

/** A branch name by `git check-ref-format --branch` rules, never starting with '-'. */
export const BRANCH_PATTERN =
  '^(?!-)(?!.*\\.\\.)(?!.*//)(?!.*@\\{)(?!.*\\.lock$)(?!.*[/.]$)(?!/)[^\\x00-\\x20~^:?*\\[\\\\\\x7f]+$';

/** https, ssh, git or file URLs, or scp-like user@host:path (file only reaches runners with --allow-file-repos). */
export const REPOSITORY_URL_PATTERN =
  '^(?:(?:https|ssh|git|file)://[^\\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\\s-][^\\s]*)$';

export const isSha = (value: unknown) => typeof value === 'string' && new RegExp(SHA_PATTERN).test(value);
export const isBranchName = (value: unknown) =>
  typeof value === 'string' && new RegExp(BRANCH_PATTERN, 'u').test(value);
export const isRepositoryUrl = (value: unknown) =>
  typeof value === 'string' && new RegExp(REPOSITORY_URL_PATTERN).test(value);

/** A repository's path on its host (`owner/name`, GitLab `group/sub/project`): no empty, `.` or `..` segment. */
export const REPOSITORY_PATH_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$';
