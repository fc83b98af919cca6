/**
 * Telegram commands that need no model: /start, /help, /status, /whoami (/id), /new and /reset, /queue,
 * /stop, /model, /set api key, /auth (openclaw-protocol.md §9, seed-system.md §7). Other commands go to
 * the session as text. Every command answers something useful, bad input included.
 */
import type { InboundEnvelope, SessionControl } from '../envelope.ts';
import { QUEUE_MODES } from '../../scheduler/types.ts';
import { authCommand, modelCommand, parseSetApiKey, setCommand, type CommandServices } from './model-commands.ts';

export type { CommandServices } from './model-commands.ts';

/** A parsed `/name@bot args` command. */
export interface ParsedCommand {
  readonly name: string;
  readonly args: string;
  /** Explicitly addressed to another bot (`/cmd@other_bot`): not ours to answer. */
  readonly forOther: boolean;
  /** Explicitly addressed to this bot with `@username`. */
  readonly explicit: boolean;
}

const COMMAND = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)\s*([\s\S]*)$/;

/**
 * Parses a leading bot command; null when the text is not one.
 * @example parseCommand('/queue@edge_bot collect', 'edge_bot') // { name: 'queue', args: 'collect', forOther: false, explicit: true }
 */
export function parseCommand(text: string, botUsername: string | null): ParsedCommand | null {
  const m = COMMAND.exec(text.trim());
  if (!m) return null;
  const target = m[2]?.toLowerCase();
  const self = botUsername?.toLowerCase();
  const forOther = target !== undefined && self !== undefined && target !== self;
  return { name: m[1]!.toLowerCase(), args: m[3]!.trim(), forOther, explicit: target !== undefined && target === self };
}

/** What a command does. */
export type CommandOutcome = { readonly kind: 'reply'; readonly text: string } | { readonly kind: 'forward' };

/** Names handled here (the rest are forwarded to the session). */
export const LOCAL_COMMANDS = ['start', 'help', 'status', 'whoami', 'id', 'new', 'reset', 'queue', 'stop', 'model', 'models', 'set', 'auth'] as const;

const HELP = [
  'edgeclaw is online. Send a message and the agent answers.',
  '',
  '/status – session state and queue',
  '/whoami – your ids and this chat’s session',
  '/new or /reset – start a fresh session',
  '/stop – cancel queued messages and stop the running answer',
  `/queue <${QUEUE_MODES.join('|')}|default> – what new messages do while an answer runs`,
  '/model list [provider] – available models; /model <provider>/<model> – use one in this chat',
  '/set api key <provider> <key> – owner only, in a direct message (the message is deleted)',
  '/auth providers | start <provider> | wait <login id> – owner only: log a provider in with a device code',
].join('\n');

/** Context of one command. */
export interface CommandContext {
  readonly envelope: InboundEnvelope;
  readonly sessionKey: string;
  readonly control: SessionControl;
  /** Model catalog, secret store and owner check (`/model`, `/set`); absent = those commands are unavailable. */
  readonly services?: CommandServices;
}

/**
 * Runs a local command; `forward` for commands the session (agent) handles.
 * @example await runCommand(parseCommand('/help', null)!, ctx) // { kind: 'reply', text: 'edgeclaw is online...' }
 */
export async function runCommand(cmd: ParsedCommand, ctx: CommandContext): Promise<CommandOutcome> {
  const reply = (text: string): CommandOutcome => ({ kind: 'reply', text });
  switch (cmd.name) {
    case 'start':
    case 'help':
      return reply(HELP);
    case 'whoami':
    case 'id': {
      const e = ctx.envelope;
      return reply(
        [
          `User id: ${e.sender.id}`,
          e.sender.username ? `Username: @${e.sender.username}` : null,
          `Chat id: ${e.chat.id} (${e.chat.kind})`,
          e.chat.threadId ? `Topic: ${e.chat.threadId}` : null,
          `Session: ${ctx.sessionKey}`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
    }
    case 'status': {
      const s = await ctx.control.status(ctx.sessionKey);
      return reply(
        [`Session: ${ctx.sessionKey}`, `State: ${s.state}`, `Queued: ${s.queued}`, `Queue mode: ${s.queueMode ?? 'default'}`, s.model ? `Model: ${s.model}` : null]
          .filter(Boolean)
          .join('\n'),
      );
    }
    case 'new':
    case 'reset':
      await ctx.control.reset(ctx.sessionKey);
      return reply('Started a fresh session; earlier messages are archived.');
    case 'stop': {
      const r = await ctx.control.abort(ctx.sessionKey);
      if (r.cancelled === 0 && !r.activeAborted) return reply('Nothing to stop: no answer is running and nothing is queued.');
      return reply(`Stopped.${r.activeAborted ? ' The running answer was aborted.' : ''}${r.cancelled > 0 ? ` ${r.cancelled} queued message(s) cancelled.` : ''}`);
    }
    case 'queue': {
      const mode = cmd.args.split(/\s+/)[0]?.toLowerCase() ?? '';
      const usage = `Usage: /queue <${QUEUE_MODES.join('|')}|default>`;
      if (mode === '') {
        const s = await ctx.control.status(ctx.sessionKey);
        return reply(`Queue mode: ${s.queueMode ?? 'default'}\n${usage}`);
      }
      if (mode === 'default' || mode === 'reset') {
        await ctx.control.setQueueMode(ctx.sessionKey, null);
        return reply('Queue mode reset to the default.');
      }
      if (!(QUEUE_MODES as readonly string[]).includes(mode)) return reply(`Unknown queue mode "${mode.slice(0, 32)}".\n${usage}`);
      await ctx.control.setQueueMode(ctx.sessionKey, mode);
      return reply(`Queue mode set to ${mode}.`);
    }
    case 'model':
    case 'models': {
      if (!ctx.services) return reply('Model commands are not available here.');
      const args = cmd.name === 'models' && cmd.args === '' ? 'list' : cmd.args;
      // A failure (registry or session unavailable) is answered, not thrown: redelivering a command is no use.
      return reply(await modelCommand(args, ctx.sessionKey, ctx.services).catch(() => 'Model commands are unavailable right now; please try again later.'));
    }
    case 'set': {
      const services = ctx.services;
      if (!services) return reply('Settings commands are not available here.');
      return reply(
        await setCommand(cmd.args, ctx.envelope, services).catch(async () => {
          // The message may carry a key: delete it even when the command itself failed.
          const deleted = parseSetApiKey(cmd.args)?.key ? await services.deleteMessage(ctx.envelope.chat.id, ctx.envelope.messageId).catch(() => false) : false;
          return `Settings are unavailable right now; nothing was stored.${deleted ? ' Your message was deleted.' : ''} Please try again later.`;
        }),
      );
    }
    case 'auth': {
      const services = ctx.services;
      if (!services) return reply('Provider login is not available here.');
      return reply(await authCommand(cmd.args, ctx.envelope, services).catch(() => 'Provider login is unavailable right now; please try again later.'));
    }
    default:
      return { kind: 'forward' };
  }
}
