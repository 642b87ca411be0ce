import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CommandPreset } from '../../../src/adapters/command-settings.ts';
import {
  BUILTIN_ADAPTERS,
  builtinAdapter,
  builtinAdapters,
  checkAdapter,
  isModulePath,
  loadAdapter,
} from '../../../src/adapters/registry.ts';
import {
  ADAPTER_CAPABILITIES,
  ROUTER_ADAPTER_API_VERSION,
  type AdapterContext,
} from '../../../src/adapters/router-adapter.ts';
import { parseConfigText } from '../../../src/config/load.ts';
import { CONFIG_SCHEMA } from '../../../src/config/schema.ts';
import { ConfigError } from '../../../src/errors.ts';
import { silentLog } from '../../support/onboarding-env.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

let dir: string;
let ctx: AdapterContext;

const methods = [
  'identity',
  'installBootImage',
  'reboot',
  'runScript',
  'snapshotConfiguration',
  'commitConfiguration',
  'restoreConfiguration',
  'discardSnapshot',
  'sshHostKeys',
  'trustAnchorCerts',
  'factoryReset',
];

function moduleSource(apiVersion: unknown, omit: string[] = []): string {
  const body = methods
    .filter((m) => !omit.includes(m))
    .map((m) => `    ${m}: async () => undefined,`)
    .join('\n');
  return `export function createAdapter(ctx) {\n  return {\n    name: 'ext-' + ctx.settings.flavour,\n    apiVersion: ${JSON.stringify(apiVersion)},\n${body}\n  };\n}\n`;
}

before(() => {
  dir = makeTempDir('reg');
  ctx = {
    settings: { root: 'r', os_name: 'SimOS', os_version: '1', hw_model: 'h', flavour: 'x' },
    workDir: join(dir, 'work'),
    baseDir: dir,
    log: silentLog,
  };
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

describe('one registry of built-in adapters and presets', () => {
  const presetDir = join(import.meta.dirname, '..', '..', '..', 'src', 'adapters', 'presets');
  const family = BUILTIN_ADAPTERS.filter((a) => a.preset !== undefined);

  test('every preset file is the preset of exactly one built-in adapter, named after it', async () => {
    const files = readdirSync(presetDir).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 4);
    for (const file of files) {
      const mod = (await import(pathToFileURL(join(presetDir, file)).href)) as Record<string, unknown>;
      const presets = Object.values(mod).filter(
        (v): v is CommandPreset => typeof v === 'object' && v !== null && 'settings' in v && 'macros' in v,
      );
      assert.equal(presets.length, 1, `${file} exports one preset`);
      const entries = BUILTIN_ADAPTERS.filter((a) => a.preset === presets[0]);
      assert.equal(entries.length, 1, `${file}: preset ${presets[0]?.name ?? ''} is reachable from the registry`);
      assert.equal(entries[0]?.name, presets[0]?.name);
    }
    assert.equal(family.length, files.length, 'no registry entry without its preset file');
  });

  test('every built-in is loadable by name, and its name is unique', async () => {
    assert.equal(new Set(BUILTIN_ADAPTERS.map((a) => a.name)).size, BUILTIN_ADAPTERS.length);
    for (const entry of BUILTIN_ADAPTERS) {
      assert.equal(builtinAdapter(entry.name), entry);
      assert.equal((await loadAdapter(entry.name, ctx)).name, entry.name);
    }
  });

  test('every command-family built-in has its settings checked when ztp.ini is read, from [Command Adapter] and [<Name> Adapter], with the line', () => {
    for (const entry of family) {
      for (const section of ['Command Adapter', `${entry.name} Adapter`]) {
        const text = `[Router]\nadapter: ${entry.name}\n[${section}]\ncommit_merge: vtysh -c 'oops {file}\n`;
        assert.throws(
          () => parseConfigText(text, 'ztp.ini'),
          (err: unknown) => {
            assert.ok(err instanceof ConfigError, String(err));
            assert.deepEqual(
              err.problems.map((p) => [p.line, p.code]),
              [[4, 'SZTP_ERR_CONFIG_VALUE']],
              `${entry.name} / [${section}]`,
            );
            return true;
          },
        );
      }
    }
  });

  test('the [Router] adapter description and docs/adapters.md name every built-in', () => {
    const description = CONFIG_SCHEMA.find((e) => e.section === 'Router' && e.key === 'adapter')?.description ?? '';
    const docs = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'adapters.md'), 'utf8');
    for (const entry of BUILTIN_ADAPTERS) {
      assert.match(description, new RegExp(`\\b${entry.name}\\b`), `schema description names ${entry.name}`);
      assert.match(docs, new RegExp(`\`${entry.name}\``), `docs/adapters.md names ${entry.name}`);
    }
  });

  test('capabilities follow the configured operations', () => {
    const caps = (name: string, settings: Record<string, string> = {}): string[] =>
      [...(builtinAdapter(name)?.capabilities(settings) ?? [])].sort();
    assert.deepEqual(caps('simulated'), [...ADAPTER_CAPABILITIES].sort());
    assert.deepEqual(caps('frr'), ['commit-merge', 'commit-replace', 'reboot', 'run-script']);
    assert.deepEqual(caps('sonic'), [...ADAPTER_CAPABILITIES].sort());
    assert.deepEqual(caps('command'), ['run-script']);
    assert.deepEqual(caps('sonic', { commit_replace: '', reboot: '' }), [
      'commit-merge',
      'install-image',
      'run-script',
    ]);
    assert.deepEqual(caps('command', { install_image: 'true', reboot: 'true' }), [
      'install-image',
      'reboot',
      'run-script',
    ]);
  });
});
