/** Every gateway method, in one registry. */
import { MethodRegistry } from '../registry.ts';
import { agent, agentWait, chatHistory, chatSend, sessionsList } from './chat.ts';
import { execApprovalList, execApprovalResolve } from './approvals.ts';
import { logsTail } from './logs.ts';
import { SESSION_METHODS } from './sessions.ts';
import { CATALOG_METHODS } from './catalog.ts';
import { health, lastHeartbeat, status, systemInfo, systemPresence } from './system.ts';
import { WIZARD_METHODS } from './wizard.ts';

/** The registry both transports (WebSocket and POST /rpc) dispatch through. */
export const METHODS = new MethodRegistry([health, status, systemPresence, systemInfo, lastHeartbeat, sessionsList, chatSend, chatHistory, agent, agentWait, execApprovalList, execApprovalResolve, logsTail, ...SESSION_METHODS, ...CATALOG_METHODS, ...WIZARD_METHODS]);
