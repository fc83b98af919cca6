/**
 * `edgeclaw attest [--out FILE]`: asks a running gateway what it runs (signed, with a fresh nonce).
 * `edgeclaw attest verify --key K [...expectations]`: checks such an attestation (fresh from the gateway, or
 * `--file` for one saved earlier) against a pinned key and the expected build, policy bundle and settings.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { verifyAttestation, type AttestationExpectations } from '../../src/defender/attest.ts';
import { BUILD_SOURCE_HASH } from '../../src/version.ts';
import { EXIT, EXIT_HELP, PROCESS_IO, UsageError, emit, guard, parseFlags, wantsJson, type Io } from './common.ts';
import { DEFAULT_GATEWAY_URL, GATEWAY_FLAGS, callGateway, gatewayTarget } from './gateway-client.ts';

const USAGE = `usage: edgeclaw attest [--out FILE] [--url URL] [--token T] [--json]
       edgeclaw attest verify --key KEY [--file FILE] [--expect-build HASH|local] [--expect-policy BUNDLE_FILE]
                              [--expect-config HASH] [--max-age-ms N] [--url URL] [--token T] [--json]

  attest           fetch a signed statement of the gateway's build source hash, active policy bundle and
                   settings hash, bound to a fresh random nonce; prints it (or writes it to --out)
  verify           check it: signature by the pinned --key (base64 public key or its hex key id, as printed
                   by \`edgeclaw attest\` on a host you trust), fresh nonce (online), age, and the expectations:
    --expect-build   the source hash the build must come from (\`local\` = this CLI's own build;
                     \`node scripts/source-hash.mjs\` prints it for a checkout)
    --expect-policy  the signed policy bundle file that must be active (its SHA-256 is compared)
    --expect-config  the settings hash to compare with
    --file           verify a saved attestation instead of asking the gateway (no nonce check)

  --url/--token as for \`edgeclaw gateway\` (env EDGECLAW_GATEWAY_URL, EDGECLAW_GATEWAY_TOKEN; default ${DEFAULT_GATEWAY_URL})

${EXIT_HELP} verify exits 1 when any check fails and lists every failed check.`;

const FLAGS = {
  ...GATEWAY_FLAGS,
  out: { type: 'string' },
  key: { type: 'string' },
  file: { type: 'string' },
  'expect-build': { type: 'string' },
  'expect-policy': { type: 'string' },
  'expect-config': { type: 'string' },
  'max-age-ms': { type: 'string' },
} as const;

function readFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** Runs `edgeclaw attest …`; resolves to the exit code. */
export async function attestMain(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO): Promise<number> {
  const json = wantsJson(argv);
  return guard('attest', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, FLAGS);
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    const [action, ...extra] = positionals;
    if (extra.length > 0 || (action !== undefined && action !== 'verify')) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const fetchFresh = async () => {
      const nonce = randomBytes(24).toString('base64url');
      const res = (await callGateway(gatewayTarget(values, env), 'defender.attest', { nonce })) as { attestation?: unknown };
      return { nonce, attestation: res.attestation, summary: res };
    };

    if (action === undefined) {
      const { attestation, summary } = await fetchFresh();
      if (values.out) writeFileSync(values.out, `${JSON.stringify(attestation, null, 2)}\n`, { mode: 0o600 });
      emit(io, values.json, summary, () => JSON.stringify(summary, null, 2));
      return EXIT.ok;
    }

    if (!values.key) throw new UsageError('verify needs --key: the pinned public key (base64) or key id (hex); a key taken from the attestation itself proves nothing');
    const want: AttestationExpectations = { key: values.key.trim() };
    if (values['expect-build']) want.sourceHash = values['expect-build'] === 'local' ? BUILD_SOURCE_HASH : values['expect-build'];
    if (want.sourceHash === 'unbuilt') throw new UsageError('--expect-build local: this CLI runs from source (no build hash); pass the hash instead');
    if (values['expect-policy']) want.policySha256 = createHash('sha256').update(readFile('--expect-policy', values['expect-policy'])).digest('hex');
    if (values['expect-config']) want.configHash = values['expect-config'];
    if (values['max-age-ms'] !== undefined) {
      const n = Number(values['max-age-ms']);
      if (!Number.isInteger(n) || n < 1) throw new UsageError('--max-age-ms: expected a positive integer');
      want.maxAgeMs = n;
    }
    let attestation: unknown;
    if (values.file) {
      try {
        attestation = JSON.parse(readFile('--file', values.file));
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError(`--file ${values.file}: not JSON`);
      }
      want.maxAgeMs ??= 365 * 86_400_000;
    } else {
      const fresh = await fetchFresh();
      attestation = fresh.attestation;
      want.nonce = fresh.nonce;
    }
    const check = await verifyAttestation(attestation, want);
    const unchecked = [want.sourceHash ? null : 'build', want.policySha256 ? null : 'policy', want.configHash ? null : 'config'].filter((x) => x !== null);
    const result = { ok: check.ok, problems: check.problems, unchecked, payload: check.payload ?? null };
    emit(io, values.json, result, () =>
      check.ok
        ? [`ok: signed by the pinned key; build ${check.payload!.server.sourceHash.slice(0, 16)}…, policy v${check.payload!.policy.bundleVersion ?? '-(default)'}`, ...(unchecked.length ? [`not checked: ${unchecked.join(', ')}`] : [])].join('\n')
        : ['attestation FAILED:', ...check.problems.map((p) => `  - ${p}`)].join('\n'),
    );
    return check.ok ? EXIT.ok : EXIT.failure;
  });
}
