// The control-method contract on workerd: the real GatewayDO keeps config overlay, cron jobs and send
// results in its SQLite and fires cron from its alarm; a "crash" aborts every Durable Object.
import { describeControl, type ControlHarness } from '../contract/control.ts';
import { openGateway, useWorkersHarness } from './contract-harness.ts';

const harness: ControlHarness = { ...useWorkersHarness(), open: () => openGateway('192.0.2.77') };

describeControl('workers', () => harness);
