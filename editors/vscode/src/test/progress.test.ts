import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildChatParams, chatNotes, ChatStream, parseChatResult } from '../progress';

test('assembles begin/report/end deltas', () => {
  const s = new ChatStream();
  const out: string[] = [];
  out.push(s.push({ kind: 'begin', title: 'veil chat' }));
  out.push(s.push({ kind: 'report', message: 'The function ' }));
  out.push(s.push({ kind: 'report', percentage: 50 }));
  out.push(s.push({ kind: 'report', message: 'adds two numbers.' }));
  out.push(s.push({ kind: 'end', message: 'done' }));
  assert.equal(out.join(''), 'The function adds two numbers.');
  assert.equal(s.status, 'done');
  assert.equal(s.title, 'veil chat');
  assert.equal(s.finish('The function adds two numbers.'), '');
});

test('ignores garbage and anything after end', () => {
  const s = new ChatStream();
  assert.equal(s.push(null), '');
  assert.equal(s.push('text'), '');
  assert.equal(s.push({ kind: 'other', message: 'x' }), '');
  assert.equal(s.push({ kind: 'begin', title: 't', message: 'not reply text' }), '');
  assert.equal(s.push({ kind: 'report', message: 'a' }), 'a');
  assert.equal(s.push({ kind: 'end', message: 'failed' }), '');
  assert.equal(s.push({ kind: 'report', message: 'c' }), '');
  assert.equal(s.text, 'a');
  assert.equal(s.status, 'failed');
});

test('finish appends the unstreamed tail', () => {
  const s = new ChatStream();
  s.push({ kind: 'report', message: 'Hello ' });
  assert.equal(s.finish('Hello world'), 'world');
  assert.equal(s.text, 'Hello world');
});

test('finish with no stream returns the whole reply', () => {
  assert.equal(new ChatStream().finish('all of it'), 'all of it');
});

test('finish shows the final answer when the stream diverged', () => {
  const s = new ChatStream();
  s.push({ kind: 'report', message: 'draft' });
  assert.match(s.finish('final'), /final answer[\s\S]*final$/);
});

test('blocked and skipped are shown', () => {
  const r = parseChatResult({ reply: '', blocked: 'policy rule "dotenv"', skipped: ['.env: blocked', 3] });
  assert.deepEqual(r, { reply: '', blocked: 'policy rule "dotenv"', skipped: ['.env: blocked'] });
  assert.deepEqual(chatNotes(r!), ['[veil: blocked: policy rule "dotenv"]', '[veil: left out .env: blocked]']);
  assert.deepEqual(chatNotes({ reply: 'x' }), []);
});

test('chat result validation', () => {
  assert.deepEqual(parseChatResult({ reply: 'ok' }), { reply: 'ok' });
  assert.deepEqual(parseChatResult({ reply: 'ok', sessionId: 's1' }), { reply: 'ok', sessionId: 's1' });
  assert.equal(parseChatResult({}), undefined);
  assert.equal(parseChatResult(null), undefined);
  assert.equal(parseChatResult({ reply: 3 }), undefined);
});

test('chat params carry the reference and the token', () => {
  const r = { start: { line: 1, character: 0 }, end: { line: 3, character: 4 } };
  assert.deepEqual(buildChatParams('why?', 'file:///a.go', r, 'veil-chat-1'), {
    message: 'why?',
    references: [{ uri: 'file:///a.go', range: r }],
    workDoneToken: 'veil-chat-1',
  });
  const empty = { start: { line: 2, character: 5 }, end: { line: 2, character: 5 } };
  const p = buildChatParams('why?', 'file:///a.go', empty, 't', 's9');
  assert.deepEqual(p.references, [{ uri: 'file:///a.go' }]);
  assert.equal(p.sessionId, 's9');
});

test('pure modules do not import vscode', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  for (const f of ['settings.js', 'status.js', 'progress.js']) {
    const src = fs.readFileSync(path.join(__dirname, '..', f), 'utf8');
    assert.doesNotMatch(src, /require\("vscode"\)|from 'vscode'/, f);
  }
});
