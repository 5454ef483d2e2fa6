// Drives a real `veil lsp` with the same protocol library vscode-languageclient
// uses, through the extension's own pure modules: settings → spawn, the status
// request and notification → parseStatus, veil/chat progress → ChatStream, and
// the LSP 3.18 inline completion request the client's feature sends. Runs when
// VEIL_BIN names a veil binary (editors/vscode_test.go sets it); skips otherwise.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import {
  CompletionRequest,
  createProtocolConnection,
  DidOpenTextDocumentNotification,
  InitializeRequest,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
} from 'vscode-languageserver-protocol/node';
import { buildChatParams, chatMethod, ChatStream, parseChatResult } from '../progress';
import { resolveServer } from '../settings';
import { DocStatus, parseStatus, statusMethod } from '../status';

const bin = process.env.VEIL_BIN;

// The built-in model completes by copying what followed an earlier
// occurrence of the text before the cursor: "def gre" → "et(name):".
const python = 'def add(a, b):\n    return a + b\n\n\ndef greet(name):\n    return "hello " + name\n\n\n# complete here\ndef gre\n';

test('extension logic against veil lsp', { skip: bin ? false : 'VEIL_BIN not set', timeout: 60_000 }, async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'veil-vscode-'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'veil-vscode-home-'));
  fs.mkdirSync(path.join(work, '.git'));
  fs.writeFileSync(path.join(work, 'main.py'), python);
  fs.writeFileSync(path.join(work, '.env'), 'DEBUG=1\n');

  const { server, warnings } = resolveServer({ path: bin, args: [], configFile: '' }, { home, workspaceFolder: work });
  assert.deepEqual(warnings, []);
  const child = spawn(server.command, server.args, {
    cwd: work,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_STATE_HOME: path.join(home, '.state') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const shown: { type: number; message: string }[] = [];
  const notified: DocStatus[] = [];
  conn.onNotification('window/showMessage', (p: { type: number; message: string }) => {
    shown.push(p);
  });
  conn.onNotification(statusMethod, (p: unknown) => {
    const s = parseStatus(p);
    if (s) notified.push(s);
  });
  conn.listen();

  try {
    const init = await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(work).href,
      workspaceFolders: [{ uri: pathToFileURL(work).href, name: 'work' }],
      capabilities: {
        window: { workDoneProgress: true },
        textDocument: { inlineCompletion: { dynamicRegistration: false }, completion: {} },
      },
    });
    assert.ok(init.capabilities.inlineCompletionProvider, 'veil must advertise inline completion for the VS Code client feature');
    // vscode-languageclient registers every advertised command id as a VS Code
    // command; a github.copilot.* id would collide with GitHub's Copilot extension.
    const commands: string[] = init.capabilities.executeCommandProvider?.commands ?? [];
    assert.deepEqual(commands.filter((c) => c.startsWith('github.copilot.')), [], `advertised ${JSON.stringify(commands)}`);
    await conn.sendNotification('initialized', {});

    const src = pathToFileURL(path.join(work, 'main.py')).href;
    const env = pathToFileURL(path.join(work, '.env')).href;
    await conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: src, languageId: 'python', version: 1, text: python },
    });

    // Status bar: the request the extension sends on editor change.
    const srcStatus = parseStatus(await conn.sendRequest(statusMethod, { uri: src }));
    assert.equal(srcStatus?.route, 'local', `main.py status ${JSON.stringify(srcStatus)}`);

    // Inline completion as the client's InlineCompletionItemFeature asks.
    const lines = python.split('\n');
    const line = lines.findIndex((l) => l.includes('complete here')) + 1;
    const inline = await conn.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri: src },
      position: { line, character: lines[line].length },
      context: { triggerKind: InlineCompletionTriggerKind.Invoked },
    });
    const items = inline === null ? [] : Array.isArray(inline) ? inline : inline.items;
    const texts = items.map((i) => (typeof i.insertText === 'string' ? i.insertText : i.insertText.value));
    assert.ok(texts.some((t) => t.trim() !== ''), `no inline completion text: ${JSON.stringify(inline)}`);
    assert.ok(
      items.every((i) => !i.command?.command.startsWith('github.copilot.')),
      `an inline item runs a github.copilot.* command on accept: ${JSON.stringify(items)}`,
    );

    // "veil: Ask about selection": progress chunks then the final reply.
    const token = 'veil-chat-1';
    const stream = new ChatStream();
    let streamed = '';
    const sub = conn.onProgress(WorkDoneProgress.type, token, (v) => {
      streamed += stream.push(v);
    });
    const params = buildChatParams('what does this line do?', src, {
      start: { line: 0, character: 0 },
      end: { line: 1, character: lines[1].length },
    }, token);
    const result = parseChatResult(await conn.sendRequest(chatMethod, params));
    sub.dispose();
    assert.ok(result, 'veil/chat returned no {reply}');
    streamed += stream.finish(result.reply);
    assert.ok(streamed.endsWith(result.reply), 'the output channel must end with the final reply');
    assert.notEqual(result.reply.trim(), '', 'empty chat reply');

    // A .env: one warning, route block (request and notification), no completion.
    await conn.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: env, languageId: 'dotenv', version: 1, text: 'DEBUG=1\n' },
    });
    const envStatus = parseStatus(await conn.sendRequest(statusMethod, { uri: env }));
    assert.equal(envStatus?.route, 'block', `.env status ${JSON.stringify(envStatus)}`);
    const envCompletion = await conn.sendRequest(CompletionRequest.type, {
      textDocument: { uri: env },
      position: { line: 0, character: 0 },
    });
    const envItems = envCompletion === null ? [] : Array.isArray(envCompletion) ? envCompletion : envCompletion.items;
    assert.equal(envItems.length, 0, 'a blocked file got completion items');
    await waitFor(() => shown.some((m) => m.type === 2), 5000);
    assert.equal(shown.filter((m) => m.type === 2).length, 1, `warnings: ${JSON.stringify(shown)}`);
    assert.ok(
      notified.some((s) => s.uri === env && s.route === 'block') || envStatus?.route === 'block',
      'no block status for .env',
    );

    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
  } catch (err) {
    throw new Error(`${String(err)}\nveil stderr:\n${stderr}`);
  } finally {
    conn.dispose();
    child.kill();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
});

async function waitFor(pred: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
}
