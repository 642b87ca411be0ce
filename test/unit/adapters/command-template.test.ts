import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSztpError } from '../../../src/errors.ts';
import { compileTemplate, renderTemplate, splitTemplate } from '../../../src/adapters/command-template.ts';

const plain = (source: string): string[] => splitTemplate('k', source).map((t) => t.map((s) => s.text).join(''));
const none = new Map<string, never>();

test('splits on whitespace with single, double and backslash quoting', () => {
  const cases: [string, string[]][] = [
    ['vtysh -f {file}', ['vtysh', '-f', '{file}']],
    ['  a   b\tc  ', ['a', 'b', 'c']],
    [`sh -c 'echo "$1" > x' sh {file}`, ['sh', '-c', 'echo "$1" > x', 'sh', '{file}']],
    ['vtysh -c "show running-config"', ['vtysh', '-c', 'show running-config']],
    ['a"b c"d', ['ab cd']],
    ['x "say \\"hi\\" \\\\ \\n"', ['x', 'say "hi" \\ \\n']],
    ['a\\ b c', ['a b', 'c']],
    [`'' ""`, ['', '']],
  ];
  for (const [source, argv] of cases) assert.deepEqual(plain(source), argv, source);
});

test('unbalanced quotes, dangling backslash and empty commands are SZTP_ERR_CONFIG_VALUE', () => {
  for (const source of [`sh -c 'x`, 'a "b', 'a \\', '   ']) {
    assert.throws(
      () => compileTemplate('commit_merge', source, none, new Set(['file'])),
      (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_CONFIG_VALUE',
      source,
    );
  }
});

test('placeholders are substituted inside one argv element, never split or re-parsed', () => {
  const t = compileTemplate(
    'install_image',
    'inst --image={image} "v {os_version}" {os_version}',
    none,
    new Set(['image', 'os_version']),
  );
  const hostile = `1.0; rm -rf / "x" 'y' $(reboot)`;
  assert.deepEqual(renderTemplate(t, { image: '/w/i m g', os_version: hostile }), [
    'inst',
    '--image=/w/i m g',
    `v ${hostile}`,
    hostile,
  ]);
});

test('single-quoted text keeps braces literally; unknown placeholders are rejected at load time', () => {
  const t = compileTemplate('run_script', `sh -c 'echo {script}' sh {script}`, none, new Set(['script']));
  assert.deepEqual(renderTemplate(t, { script: '/s' }), ['sh', '-c', 'echo {script}', 'sh', '/s']);
  assert.throws(
    () => compileTemplate('reboot', 'reboot {file}', none, new Set()),
    (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_CONFIG_VALUE' && /\{file\}/.test(e.message),
  );
});

test('a token that is exactly a macro expands to the macro argv at load time', () => {
  const macros = new Map([['vtysh', splitTemplate('vtysh', 'ip netns exec ns1 vtysh --vty_socket "/run/a b"')]]);
  const t = compileTemplate('commit_merge', '{vtysh} -f {file}', macros, new Set(['file']));
  assert.deepEqual(renderTemplate(t, { file: '/w/c.conf' }), [
    'ip',
    'netns',
    'exec',
    'ns1',
    'vtysh',
    '--vty_socket',
    '/run/a b',
    '-f',
    '/w/c.conf',
  ]);
  // Embedded in a larger token the macro name is just an unknown placeholder.
  assert.throws(
    () => compileTemplate('commit_merge', 'x{vtysh}', macros, new Set(['file'])),
    (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_CONFIG_VALUE',
  );
});
