/**
 * Fake binaries for argv-recording tests of the command adapter presets: each fake is a POSIX sh
 * script that appends its name and argv to `<dir>/calls.log` (argc first, every field
 * NUL-terminated, so any byte but NUL survives), then prints `<dir>/<name>.stdout` if present and
 * exits with the number in `<dir>/<name>.exit` (default 0). For tests only.
 * @module
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeCall {
  readonly name: string;
  readonly argv: readonly string[];
}

export interface FakeBin {
  readonly dir: string;
  calls(): FakeCall[];
  /** Sets what a fake prints on stdout and its exit status. */
  behave(name: string, o: { stdout?: string; exit?: number; stderr?: string }): void;
}

const script = (dir: string, name: string): string => `#!/bin/sh
log='${join(dir, 'calls.log')}'
printf '%s\\0' "$#" '${name}' "$@" >> "$log"
[ -f '${join(dir, `${name}.stdout`)}' ] && cat '${join(dir, `${name}.stdout`)}'
[ -f '${join(dir, `${name}.stderr`)}' ] && cat '${join(dir, `${name}.stderr`)}' >&2
if [ -f '${join(dir, `${name}.exit`)}' ]; then exit "$(cat '${join(dir, `${name}.exit`)}')"; fi
exit 0
`;

/** Creates fakes named `names` in `dir` (which must exist). */
export function makeFakeBin(dir: string, names: readonly string[]): FakeBin {
  for (const name of names) {
    writeFileSync(join(dir, name), script(dir, name));
    chmodSync(join(dir, name), 0o755);
  }
  return {
    dir,
    calls(): FakeCall[] {
      const file = join(dir, 'calls.log');
      if (!existsSync(file)) return [];
      const fields = readFileSync(file, 'utf8').split('\0');
      const calls: FakeCall[] = [];
      let i = 0;
      while (i < fields.length - 1) {
        const argc = Number(fields[i]);
        const name = fields[i + 1] ?? '';
        calls.push({ name, argv: fields.slice(i + 2, i + 2 + argc) });
        i += 2 + argc;
      }
      return calls;
    },
    behave(name, o): void {
      if (o.stdout !== undefined) writeFileSync(join(dir, `${name}.stdout`), o.stdout);
      if (o.stderr !== undefined) writeFileSync(join(dir, `${name}.stderr`), o.stderr);
      if (o.exit !== undefined) writeFileSync(join(dir, `${name}.exit`), String(o.exit));
    },
  };
}
