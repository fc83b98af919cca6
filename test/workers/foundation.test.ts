// The foundation contract on real workerd: the Worker's own fetch handler, real SessionDO, real D1.
import { describeFoundation } from '../contract/foundation.ts';
import { useWorkersHarness } from './contract-harness.ts';

const harness = useWorkersHarness();
describeFoundation('workers', () => harness);
