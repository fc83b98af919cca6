// Endpoint URLs from a provider base URL. Appends to the base as the OpenAI SDK does, fixing the
// reference runtime's bug that forced `/v1/` onto bases such as `/api/paas/v4` (seed-system §5.2).

/**
 * The `chat/completions` URL for a base URL; a URL that already ends in `/chat/completions` is kept.
 * @example chatCompletionsUrl('https://h/api/v3/') // 'https://h/api/v3/chat/completions'
 */
export function chatCompletionsUrl(baseUrl: string): string {
  const url = parseBase(baseUrl);
  if (/\/chat\/completions\/?$/.test(url.pathname)) {
    url.pathname = url.pathname.replace(/\/$/, '');
    return url.toString();
  }
  return join(url, 'chat/completions');
}

/** The `models` listing URL for a base URL (a chat URL given as base is trimmed back first). */
export function modelsUrl(baseUrl: string): string {
  const url = parseBase(baseUrl);
  url.pathname = url.pathname.replace(/\/chat\/completions\/?$/, '');
  return join(url, 'models');
}

function parseBase(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`invalid provider base URL: ${JSON.stringify(baseUrl)} (expected http(s)://host[/path])`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`invalid provider base URL protocol ${url.protocol} (expected http: or https:)`);
  }
  return url;
}

function join(url: URL, suffix: string): string {
  // Query strings on the base (Azure's api-version) stay on the final URL.
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${suffix}`;
  return url.toString();
}
