// The route veil decided for a document, from the `veil/status` request
// result ({route, reason}) or notification ({uri, route, reason}), and how the
// status bar shows it. Pure: no 'vscode' import.

export type Route = 'local' | 'block' | 'upstream' | 'unknown';

export interface DocStatus {
  uri?: string;
  route: Route;
  reason: string;
}

/** The LSP method of both the request and the notification. */
export const statusMethod = 'veil/status';

const routes: ReadonlySet<string> = new Set(['local', 'block', 'upstream']);

/**
 * parseStatus validates a `veil/status` payload. It returns undefined for
 * anything that is not an object with a string route, so a malformed message
 * never changes what the status bar shows. An unfamiliar route string is kept
 * as 'unknown' with its name in the reason.
 */
export function parseStatus(v: unknown): DocStatus | undefined {
  if (typeof v !== 'object' || v === null) {
    return undefined;
  }
  const o = v as Record<string, unknown>;
  if (typeof o.route !== 'string') {
    return undefined;
  }
  const reason = typeof o.reason === 'string' ? o.reason : '';
  const out: DocStatus = routes.has(o.route)
    ? { route: o.route as Route, reason }
    : { route: 'unknown', reason: reason === '' ? `route "${o.route}"` : `route "${o.route}": ${reason}` };
  if (typeof o.uri === 'string') {
    out.uri = o.uri;
  }
  return out;
}

/** What the status bar item shows. */
export interface StatusView {
  text: string;
  tooltip: string;
  /** 'warning' paints the item with the warning background. */
  level: 'normal' | 'warning' | 'error';
}

/**
 * formatStatus renders a status for the status bar. undefined means veil has
 * not said anything about this file (not open in veil, or server starting).
 */
export function formatStatus(s: DocStatus | undefined, serverRunning = true): StatusView {
  if (!serverRunning) {
    return { text: '$(error) veil: off', tooltip: 'veil lsp is not running (see the "veil" output channel)', level: 'error' };
  }
  if (s === undefined) {
    return { text: '$(shield) veil', tooltip: 'veil: no route for this file yet', level: 'normal' };
  }
  const why = s.reason === '' ? '' : `: ${s.reason}`;
  switch (s.route) {
    case 'local':
      return { text: '$(shield) veil: local', tooltip: `AI requests are masked and sent to the local model${why}`, level: 'normal' };
    case 'block':
      return { text: '$(circle-slash) veil: blocked', tooltip: `Nothing from this file leaves${why}`, level: 'warning' };
    case 'upstream':
      return { text: '$(cloud-upload) veil: upstream', tooltip: `AI requests are masked and sent upstream${why}`, level: 'normal' };
    default:
      return { text: '$(question) veil: ?', tooltip: `veil sent an unknown status${why}`, level: 'warning' };
  }
}

/** Keeps the last status per document URI. */
export class StatusStore {
  private readonly byUri = new Map<string, DocStatus>();

  /** set records s under uri and reports whether anything changed. */
  set(uri: string, s: DocStatus): boolean {
    const prev = this.byUri.get(uri);
    if (prev !== undefined && prev.route === s.route && prev.reason === s.reason) {
      return false;
    }
    this.byUri.set(uri, { ...s, uri });
    return true;
  }

  get(uri: string): DocStatus | undefined {
    return this.byUri.get(uri);
  }

  delete(uri: string): void {
    this.byUri.delete(uri);
  }

  clear(): void {
    this.byUri.clear();
  }
}
