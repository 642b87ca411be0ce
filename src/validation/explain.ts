/**
 * Human explanation of one validation (RFC 8572 §5.4 steps): every check passed, failed or
 * skipped with the reason, then the verdict. Used by `sztp-agent verify` without `--json`.
 * @module
 */
import type { CheckRecord } from './trace.ts';

const MARK = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' } as const;

/** Formats the check log as aligned lines: `PASS voucher/signature  detail`. */
export function explainChecks(records: readonly CheckRecord[]): string {
  const labels = records.map((r) => `${r.step}/${r.check}`);
  const width = Math.min(48, Math.max(0, ...labels.map((l) => l.length)));
  return (
    records.map((r, i) => `${MARK[r.status]}  ${(labels[i] ?? '').padEnd(width)}  ${r.detail}`.trimEnd()).join('\n') +
    (records.length ? '\n' : '')
  );
}

/** The final verdict line. */
export function explainVerdict(valid: boolean, detail: string): string {
  return `${valid ? 'VALID' : 'INVALID'}: ${detail}\n`;
}
