/**
 * The `edgeclaw` command line: one entry, one table of subcommands (each in its own file under
 * node-adapter/cli/). Exit codes: 0 ok, 1 runtime failure, 2 usage or input error.
 */
import { main as startServerMain } from '../run-server.ts';

/** A subcommand: a one-line summary and a runner returning the exit code. */
export interface Command {
  readonly summary: string;
  run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number>;
}

/** Every subcommand. Add new ones here (one line each). */
export const COMMANDS: Record<string, Command> = {
  start: {
    summary: 'run the gateway in the foreground (flags: --config --host --port --data-dir --log-level)',
    run: (argv, env) => startServerMain(argv, env),
  },
  defender: { summary: 'defender check: score JSON Lines {"id","kind","text"} from stdin', run: async (argv) => (await import('./defender.ts')).defenderMain(argv) },
  telegram: { summary: 'manage the Telegram webhook: set-webhook | delete-webhook | info', run: async (argv, env) => (await import('./telegram.ts')).telegramCommand.run(argv, env) },
  bridge: { summary: 'Defender sidecar for an OpenClaw gateway: --url --token [--review deny|wait] | status', run: async (argv, env) => (await import('./bridge.ts')).bridgeMain(argv, env) },
  attest: { summary: 'signed statement of build, policy bundle and settings: [verify --key K --expect-build H|local ...]', run: async (argv, env) => (await import('./attest.ts')).attestMain(argv, env) },
  policy: { summary: 'signed policy bundles: keygen | root | sign | verify | rotate', run: async (argv) => (await import('./policy.ts')).policyMain(argv) },
  gateway: { summary: 'talk to a running gateway: status | health | call <method> [--params JSON] (--url --token)', run: async (argv, env) => (await import('./gateway.ts')).gatewayCommand.run(argv, env) },
  pairing: { summary: 'DM pairing of a running gateway: list | approve <channel> <code> | reject | revoke (--url --token)', run: async (argv, env) => (await import('./pairing.ts')).pairingCommand.run(argv, env) },
  sessions: { summary: 'list sessions of a running gateway: list [--limit N] (--url --token)', run: async (argv, env) => (await import('./sessions.ts')).sessionsCommand.run(argv, env) },
  config: { summary: 'configuration: get [path] | set <path> <value> | validate (--config FILE)', run: async (argv, env) => (await import('./config.ts')).configCommand.run(argv, env) },
  token: { summary: 'gateway credentials: create --id ID [--scope S] | list | revoke <id> (--config FILE)', run: async (argv, env) => (await import('./token.ts')).tokenCommand.run(argv, env) },
  doctor: { summary: 'check config, data dir/token permissions, port, glibc floor, providers; prints fixes', run: async (argv, env) => (await import('./doctor.ts')).doctorCommand.run(argv, env) },
  setup: { summary: 'setup wizard: provider, key, model, Telegram, gateway token, defender profile (interactive, or flags + --yes)', run: async (argv, env) => (await import('./setup.ts')).setupCommand.run(argv, env) },
  agent: { summary: 'one agent turn through a running gateway: -m TEXT [--session KEY] (--url --token)', run: async (argv, env) => (await import('./agent.ts')).agentCommand.run(argv, env) },
  message: { summary: 'send to a channel target through a running gateway: send --to T -m TEXT (--url --token)', run: async (argv, env) => (await import('./message.ts')).messageCommand.run(argv, env) },
  secrets: { summary: 'secret store (registry.sqlite, 0600): list | set NAME (stdin or --from-env VAR) | delete NAME', run: async (argv, env) => (await import('./secrets.ts')).secretsCommand.run(argv, env) },
  security: { summary: 'security audit [--fix]: auth, public binds, exec exposure, file permissions', run: async (argv, env) => (await import('./security.ts')).securityCommand.run(argv, env) },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: edgeclaw <command> [flags]     (no command = start)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 ok, 1 runtime failure, 2 invalid input, configuration or flags.',
  ].join('\n');
}

/** Runs the command line; resolves to the exit code. */
export async function cli(argv: readonly string[], env: NodeJS.ProcessEnv, version: string): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === 'version') {
    process.stdout.write(`edgeclaw ${version} (node ${process.versions.node})\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (first === undefined || first.startsWith('-')) return COMMANDS.start!.run(argv, env);
  const command = COMMANDS[first];
  if (!command) {
    process.stderr.write(`edgeclaw: unknown command "${first}"\n\n${usage()}\n`);
    return 2;
  }
  return command.run(rest, env);
}
