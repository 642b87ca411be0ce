/**
 * ztp.ini grammar and mapping: the seed's file verbatim, both separators, booleans in any case,
 * comments, quoting, every problem reported with file and line, fetcher priorities (ties, unlisted,
 * defaults + Server), relative paths, adapter settings from [Router] and [<Adapter> Adapter].
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfigText, defaultConfig } from '../../../src/config/load.ts';
import { parseIniText } from '../../../src/config/load-ini.ts';
import { ConfigError, type ConfigProblem } from '../../../src/errors.ts';

/** Verbatim from the ztp.ini example of Cisco's IOS XR secure-ZTP guide, including the blank line. */
export const SEED_ZTP_INI = `[Startup]
start: True
retry_forever: True

[Fetcher Priority]
USB: 0

Mgmt4: 1
Mgmt6: 2
DPort4: 3
DPort6: 4
`;

function problemsOf(text: string, file = '/etc/sztp-agent/ztp.ini'): readonly ConfigProblem[] {
  try {
    parseConfigText(text, file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('seed ztp.ini', () => {
  test('parses verbatim with the seed order', () => {
    const c = parseConfigText(SEED_ZTP_INI, '/etc/sztp-agent/ztp.ini');
    assert.equal(c.startup.start, true);
    assert.equal(c.startup.retryForever, true);
    assert.deepEqual(c.fetchers, ['USB', 'Mgmt4', 'Mgmt6', 'DPort4', 'DPort6']);
    assert.equal(c.file, '/etc/sztp-agent/ztp.ini');
    assert.equal(c.baseDir, '/etc/sztp-agent');
    assert.equal(c.router.adapter, 'simulated');
    assert.equal(c.agent.stateDir, '/var/lib/sztp-agent');
  });
});

describe('grammar', () => {
  test('key: value and key = value, booleans in any case, comments and blank lines', () => {
    const c = parseConfigText(
      [
        '# comment',
        '; other comment',
        '',
        '[startup]',
        'start = yes',
        '  retry_forever:FALSE  ',
        '[Device]',
        'clock_trusted = 0',
        '[USB]',
        'auto_mount: On'.replace('On', '1'),
      ].join('\n'),
      '/x/ztp.ini',
    );
    assert.equal(c.startup.start, true);
    assert.equal(c.startup.retryForever, false);
    assert.equal(c.device.clockTrusted, false);
    assert.equal(c.usb.autoMount, true);
    for (const [text, value] of [
      ['True', true],
      ['tRuE', true],
      ['YES', true],
      ['1', true],
      ['false', false],
      ['No', false],
      ['0', false],
    ] as const) {
      assert.equal(parseConfigText(`[Startup]\nstart: ${text}\n`, 'z.ini').startup.start, value, text);
    }
  });

  test('values keep colons and equals signs after the first separator; quotes and inline comments', () => {
    const c = parseConfigText(
      '[Bootstrap]\nservers: https://a.example:8443, https://[2001:db8::1]:443  # two servers\n[Device]\nserial_number = "SN = 1 # not a comment"\n',
      '/x/ztp.ini',
    );
    assert.deepEqual(c.bootstrap.servers, ['https://a.example:8443', 'https://[2001:db8::1]:443']);
    assert.equal(c.device.serialNumber, 'SN = 1 # not a comment');
    const raw = parseIniText("[A]\nk1 = 'single'\nk2: v#x\nk3: v ;c\n", 'f');
    assert.deepEqual(
      raw.sections[0]?.entries.map((e) => [e.key, e.value, e.line]),
      [
        ['k1', 'single', 2],
        ['k2', 'v#x', 3],
        ['k3', 'v', 4],
      ],
    );
  });

  test('syntax errors name the line and all problems are reported together', () => {
    const text = [
      '[Startup]',
      'start: maybe',
      'this is not a pair',
      '[Agent]',
      'log_level: loud',
      'colour: blue',
      '[Fetcher Priority]',
      'USB: 12',
      'Floppy: 1',
      'Mgmt4: -1',
    ].join('\n');
    const problems = problemsOf(text, 'ztp.ini');
    assert.deepEqual(
      problems.map((p) => [p.line, p.code]),
      [
        [2, 'SZTP_ERR_CONFIG_VALUE'],
        [3, 'SZTP_ERR_CONFIG_SYNTAX'],
        [5, 'SZTP_ERR_CONFIG_VALUE'],
        [6, 'SZTP_ERR_CONFIG_UNKNOWN_KEY'],
        [8, 'SZTP_ERR_CONFIG_VALUE'],
        [9, 'SZTP_ERR_CONFIG_UNKNOWN_KEY'],
        [10, 'SZTP_ERR_CONFIG_VALUE'],
      ],
    );
    assert.ok(problems.every((p) => p.file === 'ztp.ini'));
    const floppy = problems.find((p) => p.line === 9)!;
    assert.equal(floppy.section, 'Fetcher Priority');
    assert.equal(floppy.key, 'Floppy');
    try {
      parseConfigText(text, 'ztp.ini');
    } catch (err) {
      assert.match((err as Error).message, /^ztp\.ini:2: \[Startup\] start: /m);
      assert.match((err as Error).message, /^ztp\.ini:9: \[Fetcher Priority\] Floppy: unknown fetcher/m);
      assert.equal((err as ConfigError).code, 'SZTP_ERR_CONFIG_INVALID');
    }
  });

  test('keys outside a section, duplicates, bad key names and unterminated quotes', () => {
    const problems = problemsOf(
      'start: True\n[Startup]\nstart: True\nstart: False\nbad key: 1\n[Device]\nserial_number: "open\n',
      'f.ini',
    );
    assert.deepEqual(
      problems.map((p) => [p.line, p.code]),
      [
        [1, 'SZTP_ERR_CONFIG_SYNTAX'],
        [4, 'SZTP_ERR_CONFIG_VALUE'],
        [5, 'SZTP_ERR_CONFIG_SYNTAX'],
        [7, 'SZTP_ERR_CONFIG_SYNTAX'],
      ],
    );
    assert.match(problems[1]!.message, /duplicate key \(first set on line 3\)/);
  });

  test('numbers are range checked; backoff max must not be below initial', () => {
    assert.deepEqual(
      problemsOf('[Bootstrap]\nconnect_timeout_seconds: 0\nmax_redirect_depth: 1.5\n').map((p) => p.line),
      [2, 3],
    );
    assert.deepEqual(
      problemsOf('[Agent]\nbackoff_initial_seconds: 10\nbackoff_max_seconds: 2\n').map((p) => [p.line, p.key]),
      [[3, 'backoff_max_seconds']],
    );
    const c = parseConfigText('[Agent]\nbackoff_initial_seconds: 0.25\nbackoff_max_seconds: 0.5\n', 'z');
    assert.equal(c.agent.backoffInitialSeconds, 0.25);
  });

  test('bootstrap servers must be https://host[:port]', () => {
    const problems = problemsOf('[Bootstrap]\nservers: http://a, https://b/path, https://ok:1\n');
    assert.deepEqual(
      problems.map((p) => p.line),
      [2, 2],
    );
    assert.ok(problems.every((p) => p.code === 'SZTP_ERR_CONFIG_VALUE'));
  });
});

describe('fetcher priority', () => {
  test('0 first, ties keep file order, unlisted fetchers are disabled, names are case-insensitive', () => {
    const c = parseConfigText('[Fetcher Priority]\nDPort6: 9\nmgmt6: 2\nServer: 2\nUSB: 5\nMgmt4: 0\n', 'z');
    assert.deepEqual(c.fetchers, ['Mgmt4', 'Mgmt6', 'Server', 'USB', 'DPort6']);
  });

  test('an empty section disables every fetcher', () => {
    assert.deepEqual(parseConfigText('[Fetcher Priority]\n', 'z').fetchers, []);
  });

  test('absent section: the seed defaults, plus Server when servers are configured', () => {
    assert.deepEqual(parseConfigText('[Startup]\nstart: 1\n', 'z').fetchers, [
      'USB',
      'Mgmt4',
      'Mgmt6',
      'DPort4',
      'DPort6',
    ]);
    assert.deepEqual(parseConfigText('[Bootstrap]\nservers: https://bs.example\n', 'z').fetchers, [
      'USB',
      'Mgmt4',
      'Mgmt6',
      'DPort4',
      'DPort6',
      'Server',
    ]);
  });
});

describe('mapping', () => {
  test('relative paths resolve against the ztp.ini directory; lists are split', () => {
    const c = parseConfigText(
      '[Device]\nidevid_cert: certs/idevid.pem\nidevid_key: /abs/key.pem\n[USB]\nmount_points: usb0, /media/x\n[Agent]\nstate_dir: ../state\n[Interfaces]\nMgmt: eth0\nDPort: swp1, swp2\n',
      '/opt/ztp/conf/ztp.ini',
    );
    assert.equal(c.device.idevidCert, '/opt/ztp/conf/certs/idevid.pem');
    assert.equal(c.device.idevidKey, '/abs/key.pem');
    assert.deepEqual(c.usb.mountPoints, ['/opt/ztp/conf/usb0', '/media/x']);
    assert.equal(c.agent.stateDir, '/opt/ztp/state');
    assert.equal(c.interfaces.mgmt, 'eth0');
    assert.deepEqual(c.interfaces.dport, ['swp1', 'swp2']);
  });

  test('[Router] and [<Adapter> Adapter] keys reach the adapter; unknown sections are kept, not errors', () => {
    const text =
      '[Router]\nadapter: frr\nextra_key: 1\n[Command Adapter]\ncommit: vtysh -f {file}\n[FRR Adapter]\nextra_key: 2\n[Vendor Stuff]\nwhatever: x\n';
    const c = parseConfigText(text, 'z');
    assert.deepEqual(c.router.settings, { adapter: 'frr', extra_key: '2', commit: 'vtysh -f {file}' });
    const sim = parseConfigText('[Router]\nadapter: simulated\nroot: /tmp/r\n[Command Adapter]\ncommit: x\n', 'z');
    assert.deepEqual(sim.router.settings, { adapter: 'simulated', root: '/tmp/r' });
  });

  test('command-adapter template problems are reported with the file, naming the line of the key', () => {
    const text =
      "[Router]\nadapter: frr\n\n[Command Adapter]\nreboot: systemctl reboot\ncommit_merge: vtysh -c 'oops -f {file}\n";
    const problems = problemsOf(text, 'ztp.ini');
    assert.deepEqual(
      problems.map((p) => [p.line, p.code]),
      [[6, 'SZTP_ERR_CONFIG_VALUE']],
    );
    assert.match(problems[0]!.message, /commit_merge: unbalanced single quote/);
    const unknown = problemsOf('[Router]\nadapter: command\ninstal_image_timeout_seconds: 5\n', 'ztp.ini');
    assert.deepEqual(
      unknown.map((p) => [p.line, p.code]),
      [[3, 'SZTP_ERR_CONFIG_UNKNOWN_KEY']],
    );
    parseConfigText('[Router]\nadapter: frr\n[Command Adapter]\ncommit_merge: vtysh -f {file}\n', 'ztp.ini');
  });

  test('every AgentConfig field has a default', () => {
    const c = defaultConfig('/base');
    assert.equal(c.file, '<defaults>');
    assert.deepEqual(c.device.acceptedAssertions, ['verified']);
    assert.equal(c.bootstrap.nonce, true);
    assert.equal(c.bootstrap.maxRedirectDepth, 4);
    assert.equal(c.dhcp.source, 'client');
    assert.equal(c.onboarding.scriptTimeoutSeconds, 300);
    assert.equal(c.agent.logLevel, 'info');
    assert.equal(c.agent.backoffInitialSeconds, 5);
    assert.equal(c.agent.backoffMaxSeconds, 300);
    assert.equal(c.device.serialNumber, undefined);
    assert.equal('serialNumber' in c.device, false, 'unset optional keys are absent, not undefined');
  });
});
