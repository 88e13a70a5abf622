// Unified diffs, read the way a reviewer needs them: per file, its patch, and the new-side line numbers a comment
// may point at (added and context lines of the hunks).
export interface DiffFile {
  path: string;
  status: string;
  patch: string;
}

/** Splits `git diff` output into files with their patches (the hunks only, as GitHub's files API gives them). */
export function parseGitDiff(diff: string): DiffFile[] {
  const files: DiffFile[] = [];
  for (const section of diff.split(/^diff --git /m).slice(1)) {
    const lines = section.split('\n');
    const header = lines[0] ?? '';
    const newPath = /^\+\+\+ b\/(.*)$/m.exec(section)?.[1];
    const oldPath = /^--- a\/(.*)$/m.exec(section)?.[1];
    const renamed = /^rename to (.*)$/m.exec(section)?.[1];
    const path = renamed ?? newPath ?? oldPath ?? header.split(' b/').at(-1) ?? '';
    const status = /^new file mode/m.test(section)
      ? 'added'
      : /^deleted file mode/m.test(section)
        ? 'removed'
        : renamed
          ? 'renamed'
          : 'modified';
    const firstHunk = lines.findIndex((line) => line.startsWith('@@'));
    const patch = firstHunk >= 0 ? lines.slice(firstHunk).join('\n').replace(/\n$/, '') : '';
    files.push({ path, status, patch });
  }
  return files;
}

/** New-side line numbers present in a patch: where a review comment can be placed. */
export function commentableLines(patch: string): Set<number> {
  const lines = new Set<number>();
  let next = 0;
  for (const line of patch.split('\n')) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      next = Number(hunk[1]);
      continue;
    }
    if (line.startsWith('-') || line.startsWith('\\')) continue;
    if (line.startsWith('+') || line.startsWith(' ') || line === '') {
      lines.add(next);
      next++;
    }
  }
  return lines;
}

/** The patch with new-side line numbers in front of each kept line, so a model can cite them exactly. */
export function numberedPatch(patch: string): string {
  const out: string[] = [];
  let next = 0;
  for (const line of patch.split('\n')) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      next = Number(hunk[1]);
      out.push(line);
    } else if (line.startsWith('-')) {
      out.push(`     ${line}`);
    } else if (!line.startsWith('\\')) {
      out.push(`${String(next).padStart(4)} ${line}`);
      next++;
    }
  }
  return out.join('\n');
}
