// Consistency between package.json and the code: every contributed command is
// registered, every registered command is contributed, the settings the code
// reads exist and cannot be set by a workspace.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { restartKeys } from '../settings';

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const extensionSource = fs.readFileSync(path.join(root, 'src', 'extension.ts'), 'utf8');

test('contributed and registered commands match', () => {
  const contributed = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const registered = new Set<string>([...extensionSource.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]));
  assert.deepEqual([...registered].sort(), [...contributed].sort());
  assert.ok(contributed.has('veil.askAboutSelection'));
  // GitHub's Copilot extension owns github.copilot.*; the same id twice fails to register.
  for (const id of [...contributed, ...registered]) {
    assert.ok(!id.startsWith('github.copilot.'), `${id} belongs to GitHub's Copilot extension`);
  }
  const ask = pkg.contributes.commands.find((c: { command: string }) => c.command === 'veil.askAboutSelection');
  assert.equal(`${ask.category}: ${ask.title}`, 'veil: Ask about selection');
});

test('settings read by the code exist and are machine-scoped', () => {
  const props = pkg.contributes.configuration.properties;
  for (const key of restartKeys) {
    assert.ok(props[key], `${key} not contributed`);
    assert.equal(props[key].scope, 'machine', `${key} must not be settable by a workspace`);
  }
  for (const m of extensionSource.matchAll(/cfg\.get\('([^']+)'\)/g)) {
    assert.ok(props[`veil.${m[1]}`], `veil.${m[1]} read but not contributed`);
  }
});

test('engine and client versions support LSP 3.18 inline completion', () => {
  assert.equal(pkg.dependencies['vscode-languageclient'], '11.0.0');
  const engine = /\^1\.(\d+)\./.exec(pkg.engines.vscode);
  assert.ok(engine && Number(engine[1]) >= 91, 'vscode-languageclient 11 needs VS Code 1.91+');
  assert.equal(pkg.main, './out/extension.js');
});
