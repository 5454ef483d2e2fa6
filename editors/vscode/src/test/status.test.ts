import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatStatus, parseStatus, StatusStore } from '../status';

test('parses the request result and the notification', () => {
  assert.deepEqual(parseStatus({ route: 'local', reason: 'no rule matched' }), { route: 'local', reason: 'no rule matched' });
  assert.deepEqual(parseStatus({ uri: 'file:///w/.env', route: 'block', reason: 'policy rule "dotenv"' }), {
    uri: 'file:///w/.env',
    route: 'block',
    reason: 'policy rule "dotenv"',
  });
});

test('rejects malformed payloads', () => {
  for (const v of [null, undefined, 'block', 3, [], {}, { route: 1 }, { reason: 'x' }]) {
    assert.equal(parseStatus(v), undefined, JSON.stringify(v));
  }
});

test('unknown route is kept as unknown with its name', () => {
  const s = parseStatus({ route: 'quarantine', reason: 'new' });
  assert.equal(s?.route, 'unknown');
  assert.match(s?.reason ?? '', /quarantine.*new/);
  assert.equal(parseStatus({ route: 'weird' })?.reason, 'route "weird"');
});

test('missing reason is empty', () => {
  assert.deepEqual(parseStatus({ route: 'local' }), { route: 'local', reason: '' });
});

test('formats each route', () => {
  const local = formatStatus({ route: 'local', reason: '' });
  assert.match(local.text, /veil: local/);
  assert.equal(local.level, 'normal');
  const block = formatStatus({ route: 'block', reason: 'dotenv file' });
  assert.match(block.text, /veil: blocked/);
  assert.equal(block.level, 'warning');
  assert.match(block.tooltip, /dotenv file/);
  assert.match(formatStatus(undefined).text, /veil$/);
  assert.equal(formatStatus({ route: 'local', reason: '' }, false).level, 'error');
  assert.equal(formatStatus({ route: 'unknown', reason: 'x' }).level, 'warning');
});

test('store reports changes only', () => {
  const st = new StatusStore();
  assert.equal(st.set('file:///a', { route: 'local', reason: '' }), true);
  assert.equal(st.set('file:///a', { route: 'local', reason: '' }), false);
  assert.equal(st.set('file:///a', { route: 'block', reason: 'r' }), true);
  assert.equal(st.get('file:///a')?.route, 'block');
  assert.equal(st.get('file:///a')?.uri, 'file:///a');
  st.delete('file:///a');
  assert.equal(st.get('file:///a'), undefined);
});
