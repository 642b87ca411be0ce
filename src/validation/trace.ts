/**
 * A record of the checks one validation ran (passed, failed, skipped with the reason), used by
 * `sztp-agent verify` to explain a result to an operator. Pure data.
 * @module
 */
import type { ValidationStep } from '../errors.ts';

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckRecord {
  readonly step: ValidationStep | 'decode';
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

/** Collects check records; pass `undefined` where no trace is wanted. */
export class CheckLog {
  readonly records: CheckRecord[] = [];
  pass(step: CheckRecord['step'], check: string, detail = ''): void {
    this.records.push({ step, check, status: 'passed', detail });
  }
  skip(step: CheckRecord['step'], check: string, reason: string): void {
    this.records.push({ step, check, status: 'skipped', detail: reason });
  }
  fail(step: CheckRecord['step'], check: string, detail: string): void {
    this.records.push({ step, check, status: 'failed', detail });
  }
}
