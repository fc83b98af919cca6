// Slack's pure pieces: mrkdwn rendering, the splitter, reply targets and config (env overrides, errors
// that name the field without echoing secrets).
import { describe, expect, it } from 'vitest';
import { resolveSlackAccounts } from '../../src/channels/slack/config.ts';
import { formatSlackTarget, parseSlackTarget } from '../../src/channels/slack/events.ts';
import { markdownToSlack, splitText } from '../../src/channels/slack/format.ts';
import { classifySlackError, SlackApiError } from '../../src/channels/slack/api.ts';

describe('slack formatting and config', () => {
  it('renders bold, links and headings as mrkdwn and escapes control characters', () => {
    expect(markdownToSlack('**hi** [docs](https://x.y/a) # no\n## Title')).toBe('*hi* <https://x.y/a|docs> # no\n*Title*');
    expect(markdownToSlack('a < b & `x > y`')).toBe('a &lt; b &amp; `x &gt; y`');
  });

  it('splits at line breaks first, then spaces, and never inside an entity', () => {
    expect(splitText('aaa\nbbb ccc', 7)).toEqual(['aaa', 'bbb ccc']);
    expect(splitText('aaaa bbbb', 6)).toEqual(['aaaa', 'bbbb']);
    const chunks = splitText(`${'x'.repeat(9)}&amp;yyyy`, 11);
    expect(chunks).toEqual(['x'.repeat(9), '&amp;yyyy']);
    for (const c of splitText('z'.repeat(10_001), 4_000)) expect(c.length).toBeLessThanOrEqual(4_000);
  });

  it('round-trips a reply target with a thread ts', () => {
    const t = { channel: 'slack', account: 'default', chatId: 'C0123ABC', threadId: '1800000000.000100' };
    expect(parseSlackTarget(formatSlackTarget(t))).toEqual(t);
    expect(parseSlackTarget('telegram:default:42')).toBeNull();
  });

  it('builds the default account from env vars and names a bad field without echoing the secret', () => {
    const [a] = resolveSlackAccounts({ SLACK_BOT_TOKEN: 'xoxb-1-2-abcdefgh', SLACK_SIGNING_SECRET: 'abcdef0123456789abcdef' });
    expect(a).toMatchObject({ id: 'default', apiRoot: 'https://slack.com/api', dmPolicy: 'pairing', textChunkLimit: 4_000 });
    expect(() => resolveSlackAccounts({ SLACK_BOT_TOKEN: 'xoxb-1-2-abcdefgh', SLACK_SIGNING_SECRET: 'short!secret' })).toThrow(/slack\.accounts\.0\.signingSecret/);
    try {
      resolveSlackAccounts({ SLACK_BOT_TOKEN: 'not-a-token-secret', SLACK_SIGNING_SECRET: 'abcdef0123456789abcdef' });
    } catch (err) {
      expect(String(err)).not.toContain('not-a-token-secret');
    }
  });

  it('treats 429 as a rate limit with its Retry-After, 5xx as transient, other errors as final', () => {
    expect(classifySlackError(new SlackApiError(429, 'ratelimited', 3_000))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3_000 });
    expect(classifySlackError(new SlackApiError(503, 'http_503'))).toMatchObject({ kind: 'transient' });
    expect(classifySlackError(new SlackApiError(200, 'channel_not_found'))).toMatchObject({ kind: 'final' });
    expect(classifySlackError(new TypeError('fetch failed'))).toMatchObject({ kind: 'transient' });
  });
});
