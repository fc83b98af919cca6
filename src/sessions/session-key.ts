/**
 * Session keys (`agent:<agentId>:<channel>:<account>:<peerKind>:<peerId>`, `agent:main:main`, ...).
 * Foundation-level validation: the character set and length; the full grammar lives with the scheduler.
 */
import { z } from 'zod';

/** Longest accepted session key (Durable Object names are hashed, but we index keys in the registry). */
export const MAX_SESSION_KEY_LENGTH = 512;

/** A session key: colon-separated segments of URL-safe characters. */
export const SessionKeySchema = z
  .string()
  .min(1, 'expected a non-empty session key')
  .max(MAX_SESSION_KEY_LENGTH, `expected at most ${MAX_SESSION_KEY_LENGTH} characters`)
  .regex(
    /^[A-Za-z0-9_.@+\-]+(?::[A-Za-z0-9_.@+\-]+)*$/,
    'expected colon-separated segments of letters, digits and _.@+- (e.g. agent:main:main)',
  );
