/**
 * The HTML shell and response headers shared by the browser pages (control page, WebChat). Each page is a
 * static document whose script and stylesheet are same-origin files under its own prefix, so the CSP can
 * forbid inline script, inline style and event handlers everywhere.
 */

/** Same-origin script, style and WebSocket only; no inline code, framing or form posts (CSP3: 'self' covers ws:). */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers sent with every page document and asset: the CSP plus no sniffing, framing, referrer or caching. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cache-control': 'no-store',
};

/**
 * A full HTML document: `title`, the stylesheet `${assets}/app.css`, the deferred script `${assets}/app.js`
 * and `body` (the markup inside `<body>`, one element a line).
 * @example pageShell('edgeclaw chat', '/chat', '<main id="chat"></main>')
 */
export function pageShell(title: string, assets: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="${assets}/app.css">
<script src="${assets}/app.js" defer></script>
</head>
<body>
${body}
</body>
</html>
`;
}

/**
 * A page document or asset with its content type and {@link PAGE_HEADERS}.
 * @example pageResponse(CONTROL_CSS, 'text/css; charset=utf-8')
 */
export function pageResponse(body: string, type: string): Response {
  return new Response(body, { headers: { 'content-type': type, ...PAGE_HEADERS } });
}
