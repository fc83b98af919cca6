/** Every gateway method, in one registry. */
import { MethodRegistry } from '../registry.ts';
import { agent, agentWait, chatHistory, chatSend, sessionsList } from './chat.ts';
import { execApprovalList, execApprovalResolve } from './approvals.ts';
import { logsTail } from './logs.ts';
import { DEVICE_METHODS } from './devices.ts';
import { NODE_METHODS } from './nodes.ts';
import { defenderAttest, defenderDecisions } from './defender.ts';
import { AUTH_METHODS } from './auth.ts';
import { SESSION_METHODS } from './sessions.ts';
import { CATALOG_METHODS } from './catalog.ts';
import { PAIRING_METHODS } from './pairing.ts';
import { CHANNEL_METHODS } from './channels.ts';
import { health, lastHeartbeat, status, systemInfo, systemPresence } from './system.ts';
import { CONFIG_METHODS } from './config.ts';
import { CRON_METHODS } from './cron.ts';
import { MESSAGING_METHODS } from './messaging.ts';
import { USAGE_METHODS } from './usage.ts';
import { WIZARD_METHODS } from './wizard.ts';

/** The registry both transports (WebSocket and POST /rpc) dispatch through. */
export const METHODS = new MethodRegistry([health, status, systemPresence, systemInfo, lastHeartbeat, sessionsList, chatSend, chatHistory, agent, agentWait, execApprovalList, execApprovalResolve, logsTail, ...SESSION_METHODS, ...CATALOG_METHODS, defenderAttest, defenderDecisions, ...PAIRING_METHODS, ...CONFIG_METHODS, ...USAGE_METHODS, ...CRON_METHODS, ...MESSAGING_METHODS, ...AUTH_METHODS, ...CHANNEL_METHODS, ...DEVICE_METHODS, ...NODE_METHODS, ...WIZARD_METHODS]);
