/**
 * The kernel's id of the current boot (Linux `/proc/sys/kernel/random/boot_id`): records that
 * name a process (the state lock's owner, a child's process group) carry it, because a pid is
 * only meaningful within the boot it was taken in. Undefined where the file does not exist.
 * @module
 */
import { readFileSync } from 'node:fs';

const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';
let cached: string | undefined | null = null;

/** The current boot id (read once per process). */
export function currentBootIdSync(): string | undefined {
  if (cached !== null) return cached;
  try {
    const id = readFileSync(BOOT_ID_FILE, 'utf8').trim();
    cached = id === '' ? undefined : id;
  } catch {
    cached = undefined;
  }
  return cached;
}
