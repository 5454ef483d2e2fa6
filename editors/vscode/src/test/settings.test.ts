import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { resolveServer } from '../settings';

const env = { home: '/home/u', workspaceFolder: '/ws' };

test('defaults start "veil lsp"', () => {
  const r = resolveServer({}, env);
  assert.deepEqual(r.server, { command: 'veil', args: ['lsp'] });
  assert.deepEqual(r.warnings, []);
});

test('empty path falls back to veil on PATH', () => {
  assert.equal(resolveServer({ path: '  ' }, env).server.command, 'veil');
});

test('path: tilde, absolute, relative with a slash, bare name', () => {
  assert.equal(resolveServer({ path: '~/go/bin/veil' }, env).server.command, path.join('/home/u', 'go/bin/veil'));
  assert.equal(resolveServer({ path: '/opt/veil/veil' }, env).server.command, '/opt/veil/veil');
  assert.equal(resolveServer({ path: 'bin/veil' }, env).server.command, path.join('/ws', 'bin/veil'));
  assert.equal(resolveServer({ path: 'veil-dev' }, env).server.command, 'veil-dev');
  assert.equal(resolveServer({ path: 'bin/veil' }, { home: '/h' }).server.command, 'bin/veil');
});

test('configFile becomes --config before the extra args', () => {
  const r = resolveServer({ configFile: '~/.config/veil/veil.yaml', args: ['--log-level', 'debug'] }, env);
  assert.deepEqual(r.server.args, ['lsp', '--config', path.join('/home/u', '.config/veil/veil.yaml'), '--log-level', 'debug']);
  assert.deepEqual(r.warnings, []);
});

test('configFile wins over --config in args, with a warning', () => {
  for (const args of [['--config', '/a.yaml', '-v'], ['--config=/a.yaml', '-v']]) {
    const r = resolveServer({ configFile: '/b.yaml', args }, env);
    assert.deepEqual(r.server.args, ['lsp', '--config', '/b.yaml', '-v']);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /veil\.configFile/);
  }
});

test('--config in args alone is passed through', () => {
  const r = resolveServer({ args: ['--config', '/a.yaml'] }, env);
  assert.deepEqual(r.server.args, ['lsp', '--config', '/a.yaml']);
});

test('wrong types are ignored with warnings, never thrown', () => {
  const r = resolveServer({ path: 42, args: 'nope', configFile: {} }, env);
  assert.deepEqual(r.server, { command: 'veil', args: ['lsp'] });
  assert.equal(r.warnings.length, 3);
  const r2 = resolveServer({ args: ['--log-level', 3, 'debug'] }, env);
  assert.deepEqual(r2.server.args, ['lsp', '--log-level', 'debug']);
  assert.equal(r2.warnings.length, 1);
});

test('--stdio from copied copilot configs is dropped', () => {
  assert.deepEqual(resolveServer({ args: ['--stdio'] }, env).server.args, ['lsp']);
});
