// Types for elf-verneed.mjs (lets TypeScript tests import it).
export interface VerneedReport {
  path: string;
  isStatic: boolean;
  needs: { file: string; versions: string[] }[];
  versions: string[];
  glibc: string | null;
  glibcxx: string | null;
}
export function compareVersions(a: string, b: string): number;
export function highestVersion(prefix: string, names: string[]): string | null;
export function readVerneed(path: string): VerneedReport;
