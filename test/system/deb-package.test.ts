/**
 * The Debian package (issue 15): builds sztp-agent_<version>_all.deb from a fresh bundle with
 * scripts/package-deb.ts, then installs it with the real `dpkg -i` inside a private mount
 * namespace whose /etc, /usr and /var are overlays on the host's (nothing reaches the host):
 * `sztp-agent --version`, `systemd-analyze verify` of the installed unit, the conffile, the man
 * page, the unit enabled by postinst; then `dpkg --purge` removes files, enablement and state.
 * A second install hides systemctl and deb-systemd-helper: postinst then enables the SysV script
 * with update-rc.d, and purge removes its links. Root only (namespaces, dpkg).
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildBundle } from '../../scripts/build-bundle.ts';
import { buildDeb } from '../../scripts/package-deb.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
let work: string;
let deb: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), `sztp-deb-${process.pid}-`));
  await buildBundle(join(work, 'dist', 'sztp-agent.mjs'), 'esm');
  deb = buildDeb(join(work, 'out'), join(work, 'dist'));
});
after(() => {
  rmSync(work, { recursive: true, force: true });
});

/**
 * Runs `script` (sh) in a new mount namespace with overlays on /etc, /usr and /var; lines
 * `key=value` it prints come back as a map (the last value of a key wins).
 */
function inNamespace(name: string, script: string): { status: number | null; out: Map<string, string>; text: string } {
  const base = join(work, name);
  const mounts = ['etc', 'usr', 'var'].map((d) => {
    mkdirSync(join(base, d, 'upper'), { recursive: true });
    mkdirSync(join(base, d, 'work'), { recursive: true });
    return `mount -t overlay overlay -o lowerdir=/${d},upperdir=${base}/${d}/upper,workdir=${base}/${d}/work /${d}`;
  });
  const file = join(base, 'script.sh');
  writeFileSync(file, `set -u\n${mounts.join('\n')}\n${script}\n`);
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', file], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
  });
  const text = `${r.stdout}${r.stderr}`;
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([a-z0-9_-]+)=(.*)$/.exec(line);
    if (m !== null) out.set(m[1]!, m[2]!);
  }
  return { status: r.status, out, text };
}

test('dpkg -i: the bundle runs as /usr/bin/sztp-agent, the unit verifies and is enabled, ztp.ini is a conffile; purge removes everything', () => {
  assert.match(deb, new RegExp(`/sztp-agent_${version.replace(/\./g, '\\.')}_all\\.deb$`));
  const r = inNamespace(
    'systemd',
    `
dpkg -i ${deb} >/dev/null 2>&1; echo install=$?
echo version=$(sztp-agent --version)
echo cache=$(SZTP_AGENT_WRITE_CODE_CACHE=1 sztp-agent --version 2>&1 >/dev/null | grep -o 'code cache [^:]*: [a-z]*')
systemd-analyze verify --man=no /lib/systemd/system/sztp-agent.service >${work}/verify.txt 2>&1; echo verify=$?
echo verify_output=$(tr '\\n' ' ' <${work}/verify.txt)
echo execstart=$(grep '^ExecStart=' /lib/systemd/system/sztp-agent.service)
echo enabled=$(readlink /etc/systemd/system/multi-user.target.wants/sztp-agent.service)
echo conffiles=$(dpkg-query -W -f='\${Conffiles}' sztp-agent | awk '{print $1}' | tr '\\n' ' ')
echo statedir=$(stat -c %a /var/lib/sztp-agent)
echo man=$(man -w sztp-agent 2>/dev/null)
echo man_text=$(zcat /usr/share/man/man8/sztp-agent.8.gz | grep -c -F 'secure\\-mode')
sztp-agent --config /etc/sztp-agent/ztp.ini config --json >/dev/null 2>&1; echo config=$?
sztp-agent --config /etc/sztp-agent/ztp.ini run --once >/dev/null 2>${work}/run.txt; echo run=$?
echo run_log=$(grep -c 'ZTP is not started' ${work}/run.txt)
echo '{"schemaVersion":1}' >/var/lib/sztp-agent/state.json
dpkg --purge sztp-agent >/dev/null 2>&1; echo purge=$?
echo after_bin=$(test -e /usr/bin/sztp-agent && echo present || echo gone)
echo after_lib=$(test -e /usr/lib/sztp-agent && echo present || echo gone)
echo after_state=$(test -e /var/lib/sztp-agent && echo present || echo gone)
echo after_conf=$(test -e /etc/sztp-agent/ztp.ini && echo present || echo gone)
echo after_enabled=$(test -L /etc/systemd/system/multi-user.target.wants/sztp-agent.service && echo present || echo gone)
echo after_status=$(dpkg-query -W -f='\${Status}' sztp-agent 2>/dev/null || echo unknown)
`,
  );
  const o = r.out;
  assert.equal(o.get('install'), '0', r.text);
  assert.equal(o.get('version'), version);
  // Built and installed with the same node here: the shipped code cache is the one V8 uses.
  assert.equal(o.get('cache'), 'code cache /usr/lib/sztp-agent/sztp-agent.mjs.cache: accepted', r.text);
  assert.equal(o.get('verify'), '0', r.text);
  assert.equal(o.get('verify_output'), '');
  assert.equal(
    o.get('execstart'),
    'ExecStart=/usr/bin/sztp-agent run --config /etc/sztp-agent/ztp.ini $SZTP_AGENT_ARGS',
  );
  assert.equal(o.get('enabled'), '/lib/systemd/system/sztp-agent.service');
  assert.equal(o.get('conffiles')?.trim(), '/etc/sztp-agent/ztp.ini /etc/init.d/sztp-agent');
  assert.equal(o.get('statedir'), '700');
  assert.equal(o.get('man'), '/usr/share/man/man8/sztp-agent.8.gz');
  assert.notEqual(o.get('man_text'), '0', 'the man page carries the CLI help');
  assert.equal(o.get('config'), '0', 'the shipped ztp.ini is valid');
  assert.equal(o.get('run'), '0', 'installed idle: [Startup] start False');
  assert.equal(o.get('run_log'), '1');
  assert.equal(o.get('purge'), '0', r.text);
  for (const k of ['after_bin', 'after_lib', 'after_state', 'after_conf', 'after_enabled'])
    assert.equal(o.get(k), 'gone', k);
  assert.notEqual(o.get('after_status'), 'install ok installed');
});

test('without systemd, postinst enables the SysV script with update-rc.d; purge removes its links', () => {
  // systemctl and deb-systemd-helper hidden: bind-mount a non-executable file over each.
  const r = inNamespace(
    'sysv',
    `
printf '' >${work}/not-executable; chmod 0644 ${work}/not-executable
mount --bind ${work}/not-executable /usr/bin/systemctl
mount --bind ${work}/not-executable /usr/bin/deb-systemd-helper
echo hidden=$(command -v systemctl deb-systemd-helper | wc -l)
dpkg -i ${deb} >/dev/null 2>&1; echo install=$?
echo rc2=$(ls /etc/rc2.d | grep -c 'S[0-9][0-9]sztp-agent')
echo rc0=$(ls /etc/rc0.d | grep -c 'K[0-9][0-9]sztp-agent')
echo enabled=$(test -e /etc/systemd/system/multi-user.target.wants/sztp-agent.service && echo yes || echo no)
dpkg --purge sztp-agent >/dev/null 2>&1; echo purge=$?
echo after_rc2=$(ls /etc/rc2.d | grep -c 'sztp-agent')
echo after_init=$(test -e /etc/init.d/sztp-agent && echo present || echo gone)
`,
  );
  const o = r.out;
  assert.equal(o.get('hidden'), '0', r.text);
  assert.equal(o.get('install'), '0', r.text);
  assert.equal(o.get('rc2'), '1', r.text);
  assert.equal(o.get('rc0'), '1', r.text);
  assert.equal(o.get('enabled'), 'no');
  assert.equal(o.get('purge'), '0', r.text);
  assert.equal(o.get('after_rc2'), '0');
  assert.equal(o.get('after_init'), 'gone');
});
