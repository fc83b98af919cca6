// Content negotiation for `GET /`: kept apart from the control page so the gateway surface can ask without loading the page.

/**
 * Whether an Accept header prefers HTML over JSON (browsers navigating; curl's `*\/*` gets JSON).
 * @example prefersHtml('text/html,application/xhtml+xml') === true
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const q = (type: string) => {
    const part = accept.split(',').map((s) => s.trim()).find((s) => s.split(';')[0]!.trim().toLowerCase() === type);
    if (!part) return 0;
    const m = /;\s*q=([0-9.]+)/.exec(part);
    return m ? Number(m[1]) : 1;
  };
  return q('text/html') > 0 && q('text/html') >= q('application/json');
}
