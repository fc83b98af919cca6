// The gateway contract on workerd: sockets terminate in the real GatewayDO through the Worker's fetch.
import { describeGateway, type GatewayHarness } from '../contract/gateway.ts';
import { openGateway, useWorkersHarness } from './contract-harness.ts';

const harness: GatewayHarness = { ...useWorkersHarness(), open: (remote = '192.0.2.1') => openGateway(remote) };

describeGateway('workers', () => harness);
