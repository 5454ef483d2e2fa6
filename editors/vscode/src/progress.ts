// Assembles a streamed `veil/chat` answer from the $/progress values veil sends
// on the request's workDoneToken. Pure: no 'vscode' import.
//
// veil streams the reply as work-done progress: one `begin` (title), then
// `report`s whose `message` is the next chunk of the reply (a delta, already
// restored), then `end` whose message is a status word ("done", "failed"),
// not reply text. The request's result {reply} is the whole answer and is
// authoritative: finish() returns whatever of it the stream has not shown.

export interface ChatRequestParams {
  sessionId?: string;
  message: string;
  references?: { uri: string; range?: LspRange }[];
  workDoneToken?: string | number;
}

export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export interface ChatResult {
  reply: string;
  sessionId?: string;
  /** The policy reason when veil refused the whole request. */
  blocked?: string;
  /** References veil left out, each with its reason. */
  skipped?: string[];
}

export const chatMethod = 'veil/chat';

/** parseChatResult validates the `veil/chat` result. */
export function parseChatResult(v: unknown): ChatResult | undefined {
  if (typeof v !== 'object' || v === null) {
    return undefined;
  }
  const o = v as Record<string, unknown>;
  if (typeof o.reply !== 'string') {
    return undefined;
  }
  const out: ChatResult = { reply: o.reply };
  if (typeof o.sessionId === 'string' && o.sessionId !== '') {
    out.sessionId = o.sessionId;
  }
  if (typeof o.blocked === 'string' && o.blocked !== '') {
    out.blocked = o.blocked;
  }
  if (Array.isArray(o.skipped)) {
    const skipped = o.skipped.filter((x): x is string => typeof x === 'string');
    if (skipped.length > 0) {
      out.skipped = skipped;
    }
  }
  return out;
}

/** notes renders a result's blocked reason and skipped references, one line each. */
export function chatNotes(r: ChatResult): string[] {
  const out: string[] = [];
  if (r.blocked !== undefined) {
    out.push(`[veil: blocked: ${r.blocked}]`);
  }
  for (const s of r.skipped ?? []) {
    out.push(`[veil: left out ${s}]`);
  }
  return out;
}

export class ChatStream {
  private shown = '';
  private done = false;
  private titleText = '';
  private endText = '';

  /** The begin notification's title, if any. */
  get title(): string {
    return this.titleText;
  }

  /** The end notification's status word ("done", "failed"), if any. */
  get status(): string {
    return this.endText;
  }

  /** Everything shown so far. */
  get text(): string {
    return this.shown;
  }

  /**
   * push takes one $/progress value and returns the text to append to the
   * output ('' when there is nothing new). Values after `end`, and values that
   * are not work-done progress objects, are ignored.
   */
  push(value: unknown): string {
    if (this.done || typeof value !== 'object' || value === null) {
      return '';
    }
    const v = value as Record<string, unknown>;
    const message = typeof v.message === 'string' ? v.message : '';
    switch (v.kind) {
      case 'begin':
        this.titleText = typeof v.title === 'string' ? v.title : '';
        return '';
      case 'report':
        this.shown += message;
        return message;
      case 'end':
        this.done = true;
        this.endText = message;
        return '';
      default:
        return '';
    }
  }

  /**
   * finish takes the final reply and returns what to append so that the output
   * ends up holding it: the missing tail if the stream showed a prefix of it,
   * or the whole reply under a separator if the stream diverged.
   */
  finish(reply: string): string {
    this.done = true;
    if (reply.startsWith(this.shown)) {
      const rest = reply.slice(this.shown.length);
      this.shown = reply;
      return rest;
    }
    this.shown = reply;
    return `\n--- final answer ---\n${reply}`;
  }
}

/** buildChatParams makes the `veil/chat` params for a question about a selection. */
export function buildChatParams(
  question: string,
  uri: string,
  range: LspRange | undefined,
  token: string,
  sessionId?: string,
): ChatRequestParams {
  const ref: { uri: string; range?: LspRange } = { uri };
  if (range !== undefined && !isEmpty(range)) {
    ref.range = range;
  }
  const p: ChatRequestParams = { message: question, references: [ref], workDoneToken: token };
  if (sessionId !== undefined) {
    p.sessionId = sessionId;
  }
  return p;
}

function isEmpty(r: LspRange): boolean {
  return r.start.line === r.end.line && r.start.character === r.end.character;
}
