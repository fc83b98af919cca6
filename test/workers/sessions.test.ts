// The sessions contract on real workerd: the Worker's own fetch handler, real SessionDO and LimiterDO.
import { describeSessions } from '../contract/sessions.ts';
import { useWorkersHarness } from './contract-harness.ts';

const harness = useWorkersHarness();
describeSessions('workers', () => harness);
