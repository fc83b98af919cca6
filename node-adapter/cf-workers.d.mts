// Types of node-adapter/cf-workers.mjs for the Node typecheck (tsconfig.node.json maps cloudflare:workers here).
export declare abstract class DurableObject<Env = unknown> {
  protected ctx: DurableObjectState;
  protected env: Env;
  constructor(ctx: DurableObjectState, env: Env);
  alarm?(alarmInfo?: { retryCount: number; isRetry: boolean }): void | Promise<void>;
  fetch?(request: Request): Response | Promise<Response>;
}
export declare abstract class WorkerEntrypoint<Env = unknown> {
  protected ctx: ExecutionContext;
  protected env: Env;
  constructor(ctx: ExecutionContext, env: Env);
}
