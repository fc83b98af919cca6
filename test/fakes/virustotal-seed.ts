// The fake VirusTotal both agent suites use: the docs page is clean, the dropper URL is malicious.
import { vtUrlId } from '../../src/defender/virustotal.ts';
import { DOCS_URL, MALICIOUS_URL, VT_TEST_KEY } from '../contract/agent-config.ts';
import { createFakeVirusTotal } from './virustotal.ts';

/** A fake VT with the agent suites' URLs planted. */
export function seededFakeVirusTotal() {
  const vt = createFakeVirusTotal(VT_TEST_KEY);
  vt.addUrl(vtUrlId(DOCS_URL), { malicious: 0, suspicious: 0, harmless: 70, undetected: 20 });
  vt.addUrl(vtUrlId(MALICIOUS_URL), { malicious: 14, suspicious: 2, harmless: 50, undetected: 24 });
  return vt;
}
