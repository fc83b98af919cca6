// Defender throughput: evaluations per second for each input kind on ~1 KB inputs, plus the linearity
// check (time on 1 KB / 10 KB / 100 KB adversarial inputs and the growth ratios).
// Usage: npm run bench:defender [-- --seconds 1]
import { evaluate, createLoopState } from '../src/defender/index.ts';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 1;
const fill = (s, n) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
const KB = 1024;

const INPUTS = {
  prompt: { kind: 'prompt', text: fill('Please summarise the meeting notes and ignore the previous commit message formatting. ', KB) },
  tool_call: { kind: 'tool_call', tool: 'exec', args: { command: fill('git log --oneline | grep fix && npm test; ', KB) } },
  command: { kind: 'command', text: fill("find . -name '*.ts' | xargs grep -n TODO && echo \"done\"; ", KB) },
  tool_result: { kind: 'tool_result', text: fill('<p>Weather: sunny, 21C. Forecast for tomorrow: light rain.</p> ', KB) },
  url: { kind: 'url', text: `https://example.com/search?q=${fill('a', KB - 30)}` },
  file: { kind: 'file', path: `/home/user/project/${fill('src/', KB - 40)}index.ts`, operation: 'write' },
};

function rate(input, ctx) {
  for (let i = 0; i < 200; i++) evaluate(input, undefined, ctx);
  let n = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) { for (let i = 0; i < 50; i++) evaluate(input, undefined, ctx); n += 50; }
  return n / seconds;
}

console.log(`defender bench: ~1 KB inputs, ${seconds}s per kind, node ${process.versions.node}`);
for (const [kind, input] of Object.entries(INPUTS)) {
  const r = rate(input, kind === 'tool_call' ? { loop: createLoopState() } : {});
  console.log(`  ${kind.padEnd(12)} ${Math.round(r).toLocaleString('en-US').padStart(10)} evals/s   (${(1e6 / r).toFixed(1)} µs each)`);
}

const ADVERSARIAL = {
  prompt_near_match: (n) => ({ kind: 'prompt', text: fill('ignore all previous ', n) }),
  prompt_encodings: (n) => ({ kind: 'prompt', text: fill('QUFB%41%4\\x41 0x4101 ', n) }),
  command_quotes: (n) => ({ kind: 'command', text: `echo ${fill('"$(\'`{a,', n)}` }),
  command_pipes: (n) => ({ kind: 'command', text: fill('a|b&&c;{d,e} $IFS ', n) }),
};
const time = (input, reps = 1) => { let best = Infinity; for (let i = 0; i < 3; i++) { const t = performance.now(); for (let r = 0; r < reps; r++) evaluate(input); best = Math.min(best, performance.now() - t); } return best / reps; };
console.log('\nlinearity (ms per evaluation, best of 3; linear growth is ~10x per step, quadratic ~100x):');
for (const [name, gen] of Object.entries(ADVERSARIAL)) {
  time(gen(10 * KB));
  const [a, b, c] = [[KB, 100], [10 * KB, 10], [100 * KB, 1]].map(([n, reps]) => time(gen(n), reps));
  console.log(`  ${name.padEnd(18)} 1KB ${a.toFixed(2).padStart(7)}  10KB ${b.toFixed(2).padStart(7)}  100KB ${c.toFixed(2).padStart(8)}   ratios ${(b / a).toFixed(1)}x, ${(c / b).toFixed(1)}x`);
}
