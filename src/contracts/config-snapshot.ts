/**
 * The handle of a saved router configuration: made by a router adapter, persisted by the state
 * store in the onboarding journal, handed back to the adapter for a restore (also after a crash).
 * @module
 */

/**
 * An opaque, JSON-serialisable handle to a saved configuration. The applier persists it in the
 * state journal so a restore can happen after a crash or in the next process.
 */
export interface ConfigSnapshot {
  readonly adapter: string;
  /** Adapter-specific reference (e.g. a file name inside the adapter's work directory). */
  readonly ref: string;
  /** True when the device had no configuration at all (restore = remove). */
  readonly empty: boolean;
}
