/** The Node host's `env.SETUP`: a finished setup wizard is merged into the config file (validated, atomic, 0600); its secrets go to the secret store. */
import { readConfigFile, writeConfigFile } from './cli/config-file.ts';
import type { SetupHost } from '../src/wizard/steps.ts';

/**
 * Writes wizard results into `file` (the server's config file, or `<data dir>/edgeclaw.json5`), the API key
 * and bot token into the secret store of `dataDir` (the file keeps `secret:` references). Read, merge and
 * write happen in one synchronous step, so two wizards finishing together cannot lose either write (the
 * wizard's code is imported first, on the first finished wizard).
 * @example createBindings(config, { ..., setup: createSetupWriter('/var/lib/edgeclaw/edgeclaw.json5', '/var/lib/edgeclaw') })
 */
export function createSetupWriter(file: string, dataDir: string): SetupHost {
  return {
    async apply(patch) {
      const { mergeSetup } = await import('../src/wizard/steps.ts');
      const secretsStored = writeConfigFile(file, mergeSetup(readConfigFile(file), patch), dataDir, 'wizard');
      return { file, secretsStored };
    },
  };
}
