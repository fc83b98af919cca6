// Minimal ELF64 reader: lists the symbol versions (GLIBC_*, GLIBCXX_*, ...) a binary needs, from its SHT_GNU_verneed section.
import { openSync, readSync, closeSync, fstatSync } from 'node:fs';

const SHT_GNU_VERNEED = 0x6ffffffe;

/** Compare dotted versions numerically: '2.31' < '2.4' is false, 3.4.9 < 3.4.28. */
export function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Highest version number among names with the given prefix, e.g. highest('GLIBC_', names) -> '2.34'. */
export function highestVersion(prefix, names) {
  let best = null;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const v = name.slice(prefix.length);
    if (!/^\d+(\.\d+)*$/.test(v)) continue; // skips e.g. GLIBC_PRIVATE
    if (best === null || compareVersions(v, best) > 0) best = v;
  }
  return best;
}

function readAt(fd, offset, length) {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  if (n !== length) throw new Error(`short read at offset ${offset}`);
  return buf;
}

function cString(buf, offset) {
  const end = buf.indexOf(0, offset);
  return buf.toString('latin1', offset, end === -1 ? buf.length : end);
}

/**
 * Parse an ELF64 file and return the versions it needs.
 * @returns {{ path: string, isStatic: boolean, needs: {file: string, versions: string[]}[],
 *             versions: string[], glibc: string|null, glibcxx: string|null }}
 */
export function readVerneed(path) {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const ident = readAt(fd, 0, 64);
    if (ident.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path}: not an ELF file`);
    if (ident[4] !== 2) throw new Error(`${path}: not ELF64`);
    const le = ident[5] === 1;
    const u16 = (b, o) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b, o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b, o) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));

    const shoff = u64(ident, 0x28);
    const shentsize = u16(ident, 0x3a);
    let shnum = u16(ident, 0x3c);
    if (shoff === 0) throw new Error(`${path}: no section headers`);
    if (shnum === 0) shnum = u64(readAt(fd, shoff, shentsize), 32); // extended numbering: count in section 0's sh_size
    if (shoff + shnum * shentsize > size) throw new Error(`${path}: section headers out of range`);

    const table = readAt(fd, shoff, shnum * shentsize);
    const sections = [];
    for (let i = 0; i < shnum; i++) {
      const o = i * shentsize;
      sections.push({
        type: u32(table, o + 4),
        offset: u64(table, o + 24),
        size: u64(table, o + 32),
        link: u32(table, o + 40),
        info: u32(table, o + 44),
      });
    }

    const needs = [];
    const vn = sections.find((s) => s.type === SHT_GNU_VERNEED);
    if (vn) {
      const strtab = sections[vn.link];
      if (!strtab) throw new Error(`${path}: verneed sh_link ${vn.link} out of range`);
      const strs = readAt(fd, strtab.offset, strtab.size);
      const data = readAt(fd, vn.offset, vn.size);
      // sh_info holds the number of Verneed entries.
      let off = 0;
      for (let i = 0; i < vn.info && off + 16 <= data.length; i++) {
        const cnt = u16(data, off + 2);
        const file = cString(strs, u32(data, off + 4));
        const versions = [];
        let aux = off + u32(data, off + 8);
        for (let j = 0; j < cnt && aux + 16 <= data.length; j++) {
          versions.push(cString(strs, u32(data, aux + 8)));
          const next = u32(data, aux + 12);
          if (next === 0) break;
          aux += next;
        }
        needs.push({ file, versions });
        const next = u32(data, off + 12);
        if (next === 0) break;
        off += next;
      }
    }

    const versions = [...new Set(needs.flatMap((n) => n.versions))].sort();
    return {
      path,
      isStatic: !vn,
      needs,
      versions,
      glibc: highestVersion('GLIBC_', versions),
      glibcxx: highestVersion('GLIBCXX_', versions),
    };
  } finally {
    closeSync(fd);
  }
}
