// The VS Code side of veil: starts `veil lsp` on stdio for every file and
// untitled document, lets vscode-languageclient wire inline completions
// (LSP 3.18 textDocument/inlineCompletion) and completions, and adds the chat
// command and the route status bar item. The logic that can run without VS
// Code lives in settings.ts, status.ts and progress.ts.

import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
  WorkDoneProgress,
} from 'vscode-languageclient/node';
import { buildChatParams, chatMethod, chatNotes, ChatStream, parseChatResult } from './progress';
import { resolveServer, restartKeys } from './settings';
import { formatStatus, parseStatus, statusMethod, StatusStore } from './status';

let client: LanguageClient | undefined;

export async function activate(ctx: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('veil', { log: true });
  const chatOut = vscode.window.createOutputChannel('veil chat');
  const statuses = new StatusStore();
  const bar = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  bar.command = 'veil.showStatus';
  ctx.subscriptions.push(log, chatOut, bar);

  let chatSeq = 0;
  let sessionId: string | undefined;

  const refreshBar = (): void => {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined) {
      bar.hide();
      return;
    }
    const running = client !== undefined && client.state === State.Running;
    const view = formatStatus(statuses.get(editor.document.uri.toString()), running);
    bar.text = view.text;
    bar.tooltip = view.tooltip;
    bar.backgroundColor =
      view.level === 'normal' ? undefined : new vscode.ThemeColor(`statusBarItem.${view.level}Background`);
    bar.show();
  };

  const askStatus = async (doc: vscode.TextDocument | undefined): Promise<void> => {
    if (doc === undefined || client === undefined || client.state !== State.Running) {
      refreshBar();
      return;
    }
    if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled') {
      refreshBar();
      return;
    }
    const uri = doc.uri.toString();
    try {
      const s = parseStatus(await client.sendRequest(statusMethod, { uri }));
      if (s !== undefined) {
        statuses.set(uri, s);
      }
    } catch (err) {
      log.debug(`veil/status for ${uri}: ${String(err)}`);
    }
    refreshBar();
  };

  const start = async (): Promise<void> => {
    const cfg = vscode.workspace.getConfiguration('veil');
    const resolved = resolveServer(
      { path: cfg.get('path'), args: cfg.get('args'), configFile: cfg.get('configFile') },
      { home: os.homedir(), workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath },
    );
    for (const w of resolved.warnings) {
      void vscode.window.showWarningMessage(w);
    }
    log.info(`starting ${resolved.server.command} ${resolved.server.args.join(' ')}`);

    const serverOptions: ServerOptions = {
      command: resolved.server.command,
      args: resolved.server.args,
      transport: TransportKind.stdio,
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      outputChannel: log,
      traceOutputChannel: log,
    };
    const c = new LanguageClient('veil', 'veil', serverOptions, clientOptions);
    c.onDidChangeState(() => refreshBar());
    // Handlers registered on the client die with it; a restart makes a new one.
    c.onNotification(statusMethod, (params: unknown) => {
      const s = parseStatus(params);
      if (s?.uri !== undefined && statuses.set(s.uri, s)) {
        refreshBar();
      }
    });
    client = c;
    try {
      await c.start();
    } catch (err) {
      void vscode.window.showErrorMessage(
        `veil: could not start "${resolved.server.command} ${resolved.server.args.join(' ')}": ${String(err)}. ` +
          'Set veil.path to the veil binary.',
      );
    }
    await askStatus(vscode.window.activeTextEditor?.document);
  };

  const stop = async (): Promise<void> => {
    const c = client;
    client = undefined;
    statuses.clear();
    if (c !== undefined) {
      await c.stop().catch(() => undefined);
    }
  };

  ctx.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor((e) => void askStatus(e?.document)),
    vscode.workspace.onDidCloseTextDocument((d) => statuses.delete(d.uri.toString())),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (restartKeys.some((k) => e.affectsConfiguration(k))) {
        await stop();
        await start();
      }
    }),
    vscode.commands.registerCommand('veil.restart', async () => {
      await stop();
      await start();
    }),
    vscode.commands.registerCommand('veil.showStatus', async () => {
      const doc = vscode.window.activeTextEditor?.document;
      await askStatus(doc);
      const s = doc === undefined ? undefined : statuses.get(doc.uri.toString());
      const view = formatStatus(s, client?.state === State.Running);
      void vscode.window.showInformationMessage(view.tooltip);
    }),
    vscode.commands.registerCommand('veil.askAboutSelection', async () => {
      const editor = vscode.window.activeTextEditor;
      if (editor === undefined) {
        void vscode.window.showInformationMessage('veil: open a file and select some code first');
        return;
      }
      if (client === undefined || client.state !== State.Running) {
        void vscode.window.showErrorMessage('veil: the language server is not running');
        return;
      }
      const question = await vscode.window.showInputBox({
        prompt: 'Ask veil about the selection',
        value: 'Explain this code',
      });
      if (question === undefined || question.trim() === '') {
        return;
      }
      const sel = editor.selection;
      const range = sel.isEmpty
        ? editor.document.lineAt(sel.active.line).range
        : new vscode.Range(sel.start, sel.end);
      const token = `veil-chat-${++chatSeq}`;
      const params = buildChatParams(
        question,
        editor.document.uri.toString(),
        {
          start: { line: range.start.line, character: range.start.character },
          end: { line: range.end.line, character: range.end.character },
        },
        token,
        sessionId,
      );
      const stream = new ChatStream();
      chatOut.show(true);
      chatOut.appendLine(`> ${question}`);
      const sub = client.onProgress(WorkDoneProgress.type, token, (v) => chatOut.append(stream.push(v)));
      try {
        const result = parseChatResult(await client.sendRequest(chatMethod, params));
        if (result === undefined) {
          chatOut.appendLine('\n[veil: malformed reply]');
          return;
        }
        sessionId = result.sessionId ?? sessionId;
        chatOut.append(stream.finish(result.reply));
        chatOut.appendLine('');
        for (const note of chatNotes(result)) {
          chatOut.appendLine(note);
        }
        chatOut.appendLine('');
      } catch (err) {
        chatOut.appendLine(`\n[veil: ${String(err)}]`);
      } finally {
        sub.dispose();
      }
    }),
  );

  await start();
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c !== undefined) {
    await c.stop();
  }
}
