// A deterministic .tar.gz writer (POSIX ustar): entries sorted by path, fixed mtime, uid/gid 0, owner
// root, modes 0755 (directories and executables) or 0644. The same inputs give the same bytes, so a
// release can be rebuilt and compared. Streams file contents, so a 120 MB binary is never held twice.
import { createReadStream, createWriteStream, lstatSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

const BLOCK = 512;

/**
 * Every file and directory under `dir` as tar entries named `<prefix>/<relative path>`, sorted.
 * @example const entries = listTree('stage/edgeclaw-v0.1.0', 'edgeclaw-v0.1.0');
 */
export function listTree(dir, prefix) {
  const entries = [{ name: `${prefix}/`, type: 'dir', mode: 0o755 }];
  for (const ent of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const abs = join(ent.parentPath, ent.name);
    const rel = relative(dir, abs).split(sep).join('/');
    const st = lstatSync(abs);
    if (st.isDirectory()) entries.push({ name: `${prefix}/${rel}/`, type: 'dir', mode: 0o755 });
    else if (st.isFile()) entries.push({ name: `${prefix}/${rel}`, type: 'file', path: abs, size: st.size, mode: st.mode & 0o111 ? 0o755 : 0o644 });
    else throw new Error(`tar: ${abs} is neither a file nor a directory`);
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function octalField(value, width) {
  const s = value.toString(8);
  if (s.length > width - 1) throw new Error(`tar: ${value} does not fit in ${width} octal digits`);
  return `${s.padStart(width - 1, '0')}\0`;
}

/** Splits a path into ustar's name (100) and prefix (155) fields. */
function splitName(name) {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  const cut = name.lastIndexOf('/', name.length - 2);
  const head = name.slice(0, cut);
  const tail = name.slice(cut + 1);
  if (cut < 0 || Buffer.byteLength(head) > 155 || Buffer.byteLength(tail) > 100) throw new Error(`tar: path too long for ustar: ${name}`);
  return { name: tail, prefix: head };
}

function header(entry, mtime) {
  const buf = Buffer.alloc(BLOCK, 0);
  const { name, prefix } = splitName(entry.name);
  buf.write(name, 0, 100, 'utf8');
  buf.write(octalField(entry.mode, 8), 100, 'ascii');
  buf.write(octalField(0, 8), 108, 'ascii'); // uid
  buf.write(octalField(0, 8), 116, 'ascii'); // gid
  buf.write(octalField(entry.type === 'file' ? entry.size : 0, 12), 124, 'ascii');
  buf.write(octalField(mtime, 12), 136, 'ascii');
  buf.write('        ', 148, 'ascii'); // checksum placeholder (spaces while summing)
  buf.write(entry.type === 'file' ? '0' : '5', 156, 'ascii');
  buf.write('ustar\u000000', 257, 'binary');
  buf.write('root', 265, 'ascii');
  buf.write('root', 297, 'ascii');
  buf.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of buf) sum += b;
  buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return buf;
}

async function* tarStream(entries, mtime) {
  for (const entry of entries) {
    yield header(entry, mtime);
    if (entry.type !== 'file') continue;
    let written = 0;
    for await (const chunk of createReadStream(entry.path)) {
      written += chunk.length;
      yield chunk;
    }
    if (written !== entry.size) throw new Error(`tar: ${entry.path} changed while being archived`);
    const pad = (BLOCK - (entry.size % BLOCK)) % BLOCK;
    if (pad) yield Buffer.alloc(pad, 0);
  }
  yield Buffer.alloc(BLOCK * 2, 0);
}

/**
 * Writes `entries` (from listTree) as a gzip-compressed tar to `out`. `mtime` is seconds since the epoch.
 * @example await writeTarGz('x.tar.gz', listTree('stage/x', 'x'), { mtime: 1764201600, level: 6 });
 */
export async function writeTarGz(out, entries, { mtime, level = 6 }) {
  // The gzip header carries no name or time from zlib (mtime 0), so the output is reproducible.
  await pipeline(Readable.from(tarStream(entries, mtime)), createGzip({ level }), createWriteStream(out));
}
