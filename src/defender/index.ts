// Public surface of the defender: the engine, its guards, policies, tool policy/loop and bundles.
export { evaluate, reasonsFor, scanUrl, type EvaluateContext } from './engine.ts';
export { DEFAULT_POLICY, DEFAULT_PROTECTED_PATHS, resolvePolicy, type PartialPolicy } from './policy.ts';
export { scanPrompt } from './prompt-guard.ts';
export { scanCommand } from './command-guard.ts';
export { parseShell } from './shell-parse.ts';
export { pathRules, checkIntegrity, sha256Hex } from './host-guard.ts';
export { toolAllowed, filterTools, normalizeToolName, TOOL_GROUPS, TOOL_PROFILES } from './tool-policy.ts';
export { createLoopState, checkLoop, recordLoop, stableStringify } from './tool-loop.ts';
export type * from './types.ts';
export {
  applyPolicyBundle, applyRootRotation, BundleError, canonicalJson, generateSigningKey, initialState, makeRoot, signEnvelope,
  POLICY_TYPE, ROOT_TYPE, type BundleErrorCode, type BundleState, type Envelope, type PolicyPayload, type SigningKey, type TrustRoot,
} from './bundle.ts';
