/**
 * The fetcher catalogue (src/config/fetchers.ts) and the fetcher registry (src/fetchers/registry.ts)
 * list the same fetchers, and the defaults without `[Fetcher Priority]` come from the catalogue.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig } from '../../../src/config/load.ts';
import { defaultFetchers, FETCHER_CATALOGUE, FETCHER_NAMES } from '../../../src/config/fetchers.ts';
import { renderExample } from '../../../src/config/render.ts';
import { FETCHER_FACTORIES } from '../../../src/fetchers/registry.ts';

test('every catalogue fetcher has a factory making a fetcher of that name, and no factory is outside the catalogue', () => {
  assert.deepEqual(Object.keys(FETCHER_FACTORIES).sort(), [...FETCHER_NAMES].sort());
  for (const name of FETCHER_NAMES) assert.equal(FETCHER_FACTORIES[name]().name, name);
  assert.equal(new Set(FETCHER_NAMES).size, FETCHER_NAMES.length);
});

test('defaults: catalogue rows in default-priority order, conditional rows only when their condition holds', () => {
  const base = defaultConfig('/base');
  const { fetchers: _f, ...config } = base;
  assert.deepEqual(defaultFetchers(config), ['USB', 'Mgmt4', 'Mgmt6', 'DPort4', 'DPort6']);
  const withServers = { ...config, bootstrap: { ...config.bootstrap, servers: ['https://bs.example'] } };
  assert.deepEqual(defaultFetchers(withServers), ['USB', 'Mgmt4', 'Mgmt6', 'DPort4', 'DPort6', 'Server']);
  for (const row of FETCHER_CATALOGUE) assert.ok(row.defaultPriority >= 0 && row.defaultPriority <= 9, row.name);
});

test('ztp.ini.example shows every catalogue row with its default priority', () => {
  const example = renderExample();
  for (const row of FETCHER_CATALOGUE)
    assert.match(example, new RegExp(`^(# )?${row.name}: ${row.defaultPriority}$`, 'm'), row.name);
});
