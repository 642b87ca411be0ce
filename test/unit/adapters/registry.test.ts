import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { builtinAdapters, checkAdapter, isModulePath, loadAdapter } from '../../../src/adapters/registry.ts';
import { ROUTER_ADAPTER_API_VERSION, type AdapterContext } from '../../../src/adapters/router-adapter.ts';
import { silentLog } from '../../support/onboarding-env.ts';

let dir: string;
let ctx: AdapterContext;

const methods = ['identity', 'installBootImage', 'reboot', 'runScript', 'snapshotConfiguration', 'commitConfiguration',
  'restoreConfiguration', 'discardSnapshot', 'sshHostKeys', 'trustAnchorCerts', 'factoryReset'];

function moduleSource(apiVersion: unknown, omit: string[] = []): string {
  const body = methods.filter((m) => !omit.includes(m)).map((m) => `    ${m}: async () => undefined,`).join('\n');
  return `export function createAdapter(ctx) {\n  return {\n    name: 'ext-' + ctx.settings.flavour,\n    apiVersion: ${JSON.stringify(apiVersion)},\n${body}\n  };\n}\n`;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sztp-reg-'));
  ctx = { settings: { root: 'r', os_name: 'SimOS', os_version: '1', hw_model: 'h', flavour: 'x' }, workDir: join(dir, 'work'), baseDir: dir, log: silentLog };
  writeFileSync(join(dir, 'good.mjs'), moduleSource(ROUTER_ADAPTER_API_VERSION));
  writeFileSync(join(dir, 'old.mjs'), moduleSource(0));
  writeFileSync(join(dir, 'partial.mjs'), moduleSource(ROUTER_ADAPTER_API_VERSION, ['runScript', 'reboot']));
  writeFileSync(join(dir, 'noexport.mjs'), 'export const x = 1;\n');
  writeFileSync(join(dir, 'throws.mjs'), 'export function createAdapter() { throw new Error("boom"); }\n');
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('loadAdapter', () => {
  test('built-in simulated adapter', async () => {
    const a = await loadAdapter('simulated', ctx);
    assert.equal(a.name, 'simulated');
    assert.ok('simulated' in builtinAdapters());
  });

  test('unknown built-in name: SZTP_ERR_ADAPTER_NOT_FOUND', async () => {
    await assert.rejects(loadAdapter('no-such-router', ctx), { code: 'SZTP_ERR_ADAPTER_NOT_FOUND' });
  });

  test('external module resolved against baseDir (relative) or absolute', async () => {
    assert.equal((await loadAdapter('./good.mjs', ctx)).name, 'ext-x');
    assert.equal((await loadAdapter(join(dir, 'good.mjs'), ctx)).name, 'ext-x');
  });

  test('module that does not exist: SZTP_ERR_ADAPTER_NOT_FOUND', async () => {
    await assert.rejects(loadAdapter('./missing.mjs', ctx), { code: 'SZTP_ERR_ADAPTER_NOT_FOUND' });
  });

  const bad: [string, RegExp][] = [
    ['./old.mjs', /apiVersion 0 is not 1/],
    ['./partial.mjs', /missing reboot, runScript/],
    ['./noexport.mjs', /does not export createAdapter/],
    ['./throws.mjs', /createAdapter failed: boom/],
  ];
  for (const [name, message] of bad) {
    test(`${name}: SZTP_ERR_ADAPTER_INCOMPATIBLE`, async () => {
      await assert.rejects(loadAdapter(name, ctx), (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'SZTP_ERR_ADAPTER_INCOMPATIBLE');
        assert.match(err.message ?? '', message);
        return true;
      });
    });
  }

  test('isModulePath and checkAdapter', () => {
    assert.equal(isModulePath('simulated'), false);
    assert.equal(isModulePath('frr'), false);
    assert.equal(isModulePath('adapter.js'), true);
    assert.equal(isModulePath('x/y'), true);
    assert.throws(() => checkAdapter(null, 't'), { code: 'SZTP_ERR_ADAPTER_INCOMPATIBLE' });
    assert.throws(() => checkAdapter({ apiVersion: '1' }, 't'), { code: 'SZTP_ERR_ADAPTER_INCOMPATIBLE' });
  });
});
