// The foundation contract against the real Node server: a child process on real SQLite files,
// crashed with SIGKILL and restarted on the same data dir.
import { describeFoundation } from '../contract/foundation.ts';
import { useContractServer } from './contract-server.ts';

const harness = useContractServer();
describeFoundation('node', () => harness);
