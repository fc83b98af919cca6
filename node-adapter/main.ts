/** Entry of the Node server (`npm start` runs its bundle, dist/node/server.mjs): `edgeclaw start` with argv flags. */
import { main } from './run-server.ts';

const args = process.argv.slice(2);
main(args[0] === 'start' ? args.slice(1) : args, process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`edgeclaw: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
