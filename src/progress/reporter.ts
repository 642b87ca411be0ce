/**
 * ProgressReporter: where progress events go. The agent fans every event out to the state store
 * (always, verbose), to the log, and to the source's reporter (a trusted bootstrap server honours
 * its reporting-level; every other source has a no-op reporter, RFC 8572 §5.6 / C-113).
 * @module
 */
import type { ProgressType } from './progress-type.ts';

/** An SSH host key for `bootstrap-complete` (algorithm name and RFC 4253 §6.6 public key blob). */
export interface SshHostKey {
  readonly algorithm: string;
  readonly keyData: Uint8Array;
}

/** One progress event. */
export interface ProgressEvent {
  readonly progressType: ProgressType;
  readonly message?: string;
  /** Only with `bootstrap-complete`. */
  readonly sshHostKeys?: readonly SshHostKey[];
  /** Only with `bootstrap-complete`: DER degenerate SignedData, one chain each. */
  readonly trustAnchorCerts?: readonly Uint8Array[];
}

/**
 * Receives progress events. `report` of `bootstrap-initiated` or `bootstrap-complete` rejects with
 * SZTP_ERR_PROGRESS_REPORT when a trusted server does not answer 204 (the caller treats it as an
 * onboarding error); every other report is best effort and never rejects.
 */
export interface ProgressReporter {
  report(event: ProgressEvent): Promise<void>;
}

/** The reporter of sources that must not (or cannot) receive reports. */
export const NULL_REPORTER: ProgressReporter = { report: () => Promise.resolve() };
