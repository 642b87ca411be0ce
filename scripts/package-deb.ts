/**
 * `npm run package:deb`: builds sztp-agent_<version>_all.deb with dpkg-deb from the single-file
 * bundle (dist/sztp-agent.mjs, `npm run build`). Layout:
 *   /usr/lib/sztp-agent/      the bundle, its V8 code cache (valid for the Node.js that built it:
 *                             another one rejects it and the agent compiles, see src/launch.ts), its
 *                             source map, the licences of the inlined dependencies
 *   /usr/bin/sztp-agent       symlink to the bundle (`#!/usr/bin/env node`)
 *   /lib/systemd/system/sztp-agent.service and /etc/init.d/sztp-agent (packaging/, paths adapted)
 *   /etc/sztp-agent/ztp.ini   conffile (ztp.ini.example with [Startup] start: False until configured)
 *   /usr/share/doc/sztp-agent/ README, docs, example; /usr/share/man/man8/sztp-agent.8.gz (from --help)
 * Maintainer scripts (packaging/deb/) enable the unit, or the init script with update-rc.d where
 * there is no systemd; purge removes the state directory. Depends: nodejs (>= 20.19): see
 * docs/install.md for Debian 12, whose nodejs is 18.
 * Usage: node --import tsx scripts/package-deb.ts [--out DIR]
 * @module
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { renderManPage } from './man-page.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE_DEPENDENCY = 'nodejs (>= 20.19)';

interface Pkg {
  readonly version: string;
  readonly description: string;
  readonly license: string;
}

function put(root: string, path: string, content: string | Buffer, mode = 0o644): void {
  const dest = join(root, path);
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest, content);
  chmodSync(dest, mode);
}

function copy(root: string, from: string, path: string, mode = 0o644): void {
  put(root, path, readFileSync(resolve(REPO, from)), mode);
}

/** Total size of the files under `dir`, in KiB (the control file's Installed-Size). */
function sizeKiB(dir: string): number {
  let bytes = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) bytes += statSync(join(e.parentPath, e.name)).size;
  }
  return Math.ceil(bytes / 1024);
}

/** The agent's --help texts (program and each command), from the built bundle. */
function helpTexts(bundle: string): { name: string; text: string }[] {
  const help = (args: string[]): string =>
    execFileSync(process.execPath, [bundle, ...args, '--help'], { encoding: 'utf8' });
  const commands = ['run', 'config', 'status', 'secure-mode', 'reset', 'verify', 'bundle'];
  return [{ name: '', text: help([]) }, ...commands.map((c) => ({ name: c, text: help([c]) }))];
}

/** Builds the package into `outDir` from the bundle in `distDir`; returns the path of the .deb. */
export function buildDeb(outDir: string, distDir = join(REPO, 'dist')): string {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Pkg;
  const bundle = join(distDir, 'sztp-agent.mjs');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
  const work = mkdtempSync(join(tmpdir(), 'sztp-deb-'));
  const root = join(work, 'root');
  try {
    const lib = '/usr/lib/sztp-agent';
    copy(root, bundle, `${lib}/sztp-agent.mjs`, 0o755);
    copy(root, `${bundle}.cache`, `${lib}/sztp-agent.mjs.cache`);
    copy(root, `${bundle}.map`, `${lib}/sztp-agent.mjs.map`);
    copy(root, `${bundle}.LEGAL.txt`, `${lib}/sztp-agent.mjs.LEGAL.txt`);
    mkdirSync(join(root, 'usr', 'bin'), { recursive: true });
    symlinkSync(`../lib/sztp-agent/sztp-agent.mjs`, join(root, 'usr', 'bin', 'sztp-agent'));

    const unit = readFileSync(join(REPO, 'packaging', 'systemd', 'sztp-agent.service'), 'utf8')
      .replace(
        /^# Install: docs\/install\.md\.[\s\S]*?\n#\n/m,
        '# Installed by the sztp-agent Debian package (docs/install.md).\n#\n',
      )
      .replace('ExecStart=/usr/local/bin/sztp-agent ', 'ExecStart=/usr/bin/sztp-agent ');
    if (!unit.includes('ExecStart=/usr/bin/sztp-agent '))
      throw new Error('packaging/systemd/sztp-agent.service: ExecStart not found');
    put(root, '/lib/systemd/system/sztp-agent.service', unit);
    const init = readFileSync(join(REPO, 'packaging', 'init.d', 'sztp-agent'), 'utf8').replaceAll(
      '/usr/local/bin/sztp-agent',
      '/usr/bin/sztp-agent',
    );
    put(root, '/etc/init.d/sztp-agent', init, 0o755);

    // Installed but idle until the operator configures it: start False stops `run` at once (exit 0).
    const example = readFileSync(join(REPO, 'ztp.ini.example'), 'utf8');
    const ini = example.replace(
      /^\[Startup\]\n((?:#.*\n)*)start: True$/m,
      '[Startup]\n$1# The package installs ZTP switched off: set True once this file is configured.\nstart: False',
    );
    if (ini === example) throw new Error('ztp.ini.example: [Startup] start: True not found');
    put(root, '/etc/sztp-agent/ztp.ini', ini);

    const doc = '/usr/share/doc/sztp-agent';
    copy(root, 'README.md', `${doc}/README.md`);
    copy(root, 'ztp.ini.example', `${doc}/ztp.ini.example`);
    for (const f of readdirSync(join(REPO, 'docs')).filter((n) => n.endsWith('.md')))
      copy(root, `docs/${f}`, `${doc}/docs/${f}`);
    put(
      root,
      `${doc}/copyright`,
      [
        'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
        'Upstream-Name: sztp-agent',
        '',
        'Files: *',
        `License: ${pkg.license}`,
        ' The licences of the dependencies inlined into the bundle are in',
        ' /usr/lib/sztp-agent/sztp-agent.mjs.LEGAL.txt.',
        '',
      ].join('\n'),
    );
    put(
      root,
      '/usr/share/man/man8/sztp-agent.8.gz',
      gzipSync(renderManPage(pkg.version, helpTexts(bundle)), { level: 9 }),
    );

    const control = join(root, 'DEBIAN');
    mkdirSync(control);
    for (const script of ['postinst', 'prerm', 'postrm']) {
      copyFileSync(join(REPO, 'packaging', 'deb', script), join(control, script));
      chmodSync(join(control, script), 0o755);
    }
    writeFileSync(join(control, 'conffiles'), '/etc/sztp-agent/ztp.ini\n/etc/init.d/sztp-agent\n');
    writeFileSync(
      join(control, 'control'),
      [
        'Package: sztp-agent',
        `Version: ${pkg.version}`,
        'Architecture: all',
        'Section: admin',
        'Priority: optional',
        'Maintainer: sztp-agent maintainers <sztp-agent@localhost>',
        `Installed-Size: ${sizeKiB(root)}`,
        `Depends: ${NODE_DEPENDENCY}`,
        `Description: ${pkg.description}`,
        ' Reads /etc/sztp-agent/ztp.ini, tries its sources of bootstrapping data in priority order',
        ' (USB stick, DHCPv4/DHCPv6 redirects, well-known bootstrap servers over RESTCONF/HTTPS),',
        ' validates ownership voucher, owner certificate and conveyed information, and applies the',
        ' onboarding information through a router adapter, with rollback on error.',
        ' .',
        ' The agent is one JavaScript file with its dependencies inlined; it needs Node.js 20.19',
        ' or later (on Debian 12, whose nodejs is 18, see /usr/share/doc/sztp-agent/docs/install.md).',
        '',
      ].join('\n'),
    );
    mkdirSync(outDir, { recursive: true });
    const deb = join(outDir, `sztp-agent_${pkg.version}_all.deb`);
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, deb], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return deb;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = i >= 0 ? resolve(process.argv[i + 1] ?? '.') : REPO;
  console.log(buildDeb(out));
}
