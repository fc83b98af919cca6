/**
 * OpenClaw gateway protocol v4 frames as closed zod schemas (extra keys are invalid, as in the reference
 * TypeBox schemas). See ../shared/reference/openclaw-protocol.md §1.2 and §2.2.
 */
import { z } from 'zod';

/** The protocol version this gateway speaks. */
export const PROTOCOL_VERSION = 4;
/** Oldest version accepted from probe and node clients. */
export const MIN_PROBE_PROTOCOL = 3;

/** A request frame. */
export const RequestFrameSchema = z.strictObject({
  type: z.literal('req'),
  id: z.string().min(1).max(256),
  method: z.string().min(1).max(128),
  params: z.unknown().optional(),
  traceparent: z.string().max(128).optional(),
  expectedProfileId: z.string().max(256).optional(),
});
export type RequestFrame = z.infer<typeof RequestFrameSchema>;

/** The error shape inside a `res` frame. */
export const ErrorShapeSchema = z.strictObject({
  code: z.string().min(1),
  message: z.string().min(1),
  details: z.record(z.string(), z.unknown()).optional(),
  retryable: z.boolean().optional(),
  retryAfterMs: z.number().int().nonnegative().optional(),
});

/** Client identity sent in `connect`. */
const ClientInfoSchema = z.strictObject({
  id: z.string().min(1).max(64),
  displayName: z.string().max(256).optional(),
  version: z.string().max(64),
  buildId: z.string().max(256).optional(),
  platform: z.string().max(64),
  deviceFamily: z.string().max(64).optional(),
  modelIdentifier: z.string().max(128).optional(),
  timeZone: z.string().max(64).optional(),
  mode: z.enum(['webchat', 'cli', 'ui', 'backend', 'node', 'worker', 'probe', 'test']),
  instanceId: z.string().max(128).optional(),
});

/** `connect` params (closed; optional fields a minimal server ignores are still accepted). */
export const ConnectParamsSchema = z.strictObject({
  minProtocol: z.number().int().min(1).max(100),
  maxProtocol: z.number().int().min(1).max(100),
  client: ClientInfoSchema,
  caps: z.array(z.string().max(64)).max(64).optional(),
  commands: z.array(z.string().max(128)).max(256).optional(),
  permissions: z.record(z.string(), z.boolean()).optional(),
  role: z.string().max(32).optional(),
  scopes: z.array(z.string().max(64)).max(32).optional(),
  auth: z
    .strictObject({
      token: z.string().max(4096).optional(),
      password: z.string().max(4096).optional(),
      bootstrapToken: z.string().max(4096).optional(),
      deviceToken: z.string().max(4096).optional(),
      approvalRuntimeToken: z.string().max(4096).optional(),
      agentRuntimeIdentityToken: z.string().max(4096).optional(),
    })
    .optional(),
  device: z
    .strictObject({
      id: z.string().max(128),
      publicKey: z.string().max(1024),
      signature: z.string().max(1024),
      signedAt: z.number().int(),
      nonce: z.string().max(256),
    })
    .optional(),
  modelCatalog: z.unknown().optional(),
  computerUse: z.unknown().optional(),
  workerRuns: z.unknown().optional(),
  pathEnv: z.unknown().optional(),
  locale: z.string().max(64).optional(),
  userAgent: z.string().max(512).optional(),
});
export type ConnectParams = z.infer<typeof ConnectParamsSchema>;

/** A response frame as sent. */
export interface ResponseFrame {
  type: 'res';
  id: string;
  ok: boolean;
  payload?: unknown;
  error?: z.infer<typeof ErrorShapeSchema>;
}

/** An event frame as sent. */
export interface EventFrame {
  type: 'event';
  event: string;
  payload?: unknown;
  seq?: number;
  stateVersion?: { presence: number; health: number };
}
