// The sessions contract against the real Node server (child process on real SQLite files).
import { describeSessions } from '../contract/sessions.ts';
import { useContractServer } from './contract-server.ts';

const harness = useContractServer();
describeSessions('node', () => harness);
