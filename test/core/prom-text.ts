/** A strict Prometheus text-format (0.0.4) parser for tests: rejects anything a scraper would reject. */

/** One parsed metric family. */
export interface Family {
  name: string;
  type: string;
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(?:,|$)/;

/** Parses exposition text; throws with the line number on the first violation. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  text.slice(0, -1).split('\n').forEach((line, i) => {
    const where = `line ${i + 1}: ${line}`;
    if (line === '') return;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name, ${where}`);
      const fam = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`bad type, ${where}`);
        if (fam.samples.length) throw new Error(`TYPE after samples, ${where}`);
        fam.type = rest;
      } else fam.help = rest;
      families.set(name, fam);
      return;
    }
    if (line.startsWith('#')) return;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`bad sample, ${where}`);
    const [, name, rawLabels = '', rawValue] = m as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    let rest = rawLabels;
    while (rest.length) {
      const l = LABEL.exec(rest);
      if (!l) throw new Error(`bad labels, ${where}`);
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      rest = rest.slice(l[0].length);
    }
    const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : rawValue === 'NaN' ? NaN : Number(rawValue);
    if (Number.isNaN(value) && rawValue !== 'NaN') throw new Error(`bad value, ${where}`);
    const series = `${name}${JSON.stringify(labels)}`;
    if (seen.has(series)) throw new Error(`duplicate series, ${where}`);
    seen.add(series);
    const fam = families.get(name);
    if (!fam) throw new Error(`sample without TYPE/HELP, ${where}`);
    if (fam.type === 'counter' && value < 0) throw new Error(`negative counter, ${where}`);
    fam.samples.push({ labels, value });
  });
  return families;
}
