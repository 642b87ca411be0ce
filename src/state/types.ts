/**
 * The persisted state of the agent (one JSON document in state_dir, written atomically) and the
 * StateStore interface every room uses to read and change it. The onboarding journal makes steps
 * idempotent across kills and reboots: it is keyed by the digest of the conveyed information.
 * @module
 */
import type { ConfigSnapshot } from '../contracts/config-snapshot.ts';
import type { NetworkUndoRecord } from '../contracts/network-journal.ts';
import type { ChildRecord } from '../platform/children.ts';
import type { SztpErrorCode } from '../errors.ts';
import type { ProgressType } from '../progress/progress-type.ts';

export const STATE_SCHEMA_VERSION = 1;

export type AgentPhase = 'factory-default' | 'in-progress' | 'rebooting' | 'bootstrap-complete' | 'disabled';

/** One onboarding step, in RFC 8572 §5.6 order. */
export type OnboardingStepKind = 'boot-image' | 'pre-script' | 'config' | 'post-script';

export interface RecordedEvent {
  readonly progressType: ProgressType;
  /** ISO 8601. */
  readonly time: string;
  readonly message?: string;
  /** Where the event happened (fetcher description), when known. */
  readonly source?: string;
}

export interface OnboardingJournal {
  /** SHA-256 hex of the conveyed-information artifact: the journal applies to this exact data. */
  readonly digest: string;
  readonly source: string;
  readonly startedAt: string;
  /** Steps finished successfully, never repeated for the same digest. */
  readonly completedSteps: readonly OnboardingStepKind[];
  /** A step that started and did not finish (a crash happened inside it). */
  readonly currentStep?: OnboardingStepKind;
  /** Pre-commit configuration snapshot, for rollback (also after a crash). */
  readonly snapshot?: ConfigSnapshot;
  /**
   * A rollback that was decided and not yet finished: written BEFORE the snapshot is restored, so a
   * crash in between is finished on the next start instead of resuming the undone steps.
   */
  readonly rollback?: { readonly code: SztpErrorCode; readonly message: string; readonly startedAt: string };
  readonly bootImage?: {
    readonly sha256: string;
    /** Verified image kept on disk so a restart does not download it again. */
    readonly path?: string;
    readonly osName?: string;
    readonly osVersion?: string;
    readonly installAttempts: number;
    readonly rebootRequestedAt?: string;
  };
}

export interface AgentState {
  readonly schemaVersion: number;
  /** The SZTP flag (RFC 8572 §5.1): enabled on a factory-default device. */
  readonly secureMode: boolean;
  readonly phase: AgentPhase;
  /** Fetcher description of the source in use or last used. */
  readonly source?: string;
  readonly lastError?: { readonly code: SztpErrorCode; readonly message: string; readonly time: string };
  /** Every progress event, in order (bounded; oldest dropped first). */
  readonly events: readonly RecordedEvent[];
  readonly journal?: OnboardingJournal;
  /** Scripts and adapter commands running now (process group, cgroup, boot id): reaped on the next start if the agent died. */
  readonly children?: readonly ChildRecord[];
  /**
   * Who turned secure ZTP off: `onboarding` when `secure-mode disable` ran inside an onboarding
   * script (the owner's own choice, which does not stop that onboarding), else `operator`.
   */
  readonly secureModeOffBy?: 'operator' | 'onboarding';
  /** Interface changes the DHCP fetchers made and have not undone yet (undo argv, in the order made): undone on the next start if the agent died. */
  readonly network?: readonly NetworkUndoRecord[];
  readonly updatedAt?: string;
}

export interface StateStore {
  /** The current state (the initial factory-default state when nothing was stored yet). */
  read(): Promise<AgentState>;
  /** Read-modify-write under the store's lock; the new state is durable when the promise resolves. */
  update(change: (current: AgentState) => AgentState): Promise<AgentState>;
}
