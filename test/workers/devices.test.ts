// The devices contract on workerd: sockets terminate in the real GatewayDO through the Worker's fetch.
// No connect is ever direct loopback here (cf-connecting-ip always names the client).
import { describeDevices, type DevicesHarness } from '../contract/devices.ts';
import { openGateway, useWorkersHarness } from './contract-harness.ts';

const harness: DevicesHarness = { ...useWorkersHarness(), open: (remote = '192.0.2.77') => openGateway(remote) };

describeDevices('workers', () => harness, { directLocal: false, restartable: false });
