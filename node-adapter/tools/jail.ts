// Workspace jail for the Node file tools: relative paths only, no `..` escape, and realpath checks so a
// symlink (in the path or as the target) cannot lead outside the workspace.
import { lstatSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';

/** Raised when a path would leave the workspace; the message says why without leaking outside paths. */
export class JailError extends Error {
  override readonly name = 'JailError';
}

/** A workspace root and the checks that keep file tools inside it. */
export class WorkspaceJail {
  /** The real path of the workspace root. */
  readonly root: string;

  constructor(root: string) {
    this.root = realpathSync(resolve(root));
  }

  /**
   * Resolves a tool-supplied path to an absolute path inside the workspace, or throws JailError.
   * A missing target is allowed (for writes) when its nearest existing ancestor is inside.
   * @example jail.resolve('notes/today.md')
   */
  resolve(userPath: string): string {
    if (userPath.includes('\0')) throw new JailError('path contains a NUL byte');
    if (isAbsolute(userPath) || /^[a-zA-Z]:[\\/]/.test(userPath) || userPath.startsWith('\\')) {
      throw new JailError(`absolute paths are not allowed (use a path relative to the workspace): ${userPath}`);
    }
    const lexical = normalize(join(this.root, userPath));
    if (!this.#inside(lexical)) throw new JailError(`path escapes the workspace: ${userPath}`);
    // Walk up to the nearest existing ancestor and check where it really points.
    let probe = lexical;
    for (;;) {
      let real: string;
      try {
        real = realpathSync(probe);
      } catch (err) {
        // SAFETY: fs errors are ErrnoExceptions.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
        // A dangling symlink also fails realpath; following it on write could create a file anywhere.
        if (lstatSync(probe, { throwIfNoEntry: false })?.isSymbolicLink()) throw new JailError(`path goes through a dangling symlink: ${userPath}`);
        const up = dirname(probe);
        if (up === probe) throw new JailError(`path escapes the workspace: ${userPath}`);
        probe = up;
        continue;
      }
      if (!this.#inside(real)) throw new JailError(`path leads outside the workspace through a symlink: ${userPath}`);
      return probe === lexical ? real : join(real, relative(probe, lexical));
    }
  }

  /** The workspace-relative form of an absolute path inside the jail (for output). */
  display(abs: string): string {
    return relative(this.root, abs) || '.';
  }

  #inside(p: string): boolean {
    return p === this.root || p.startsWith(this.root.endsWith(sep) ? this.root : this.root + sep);
  }
}
