/**
 * In-memory StateStore for unit tests (same semantics as the file store: read-modify-write,
 * returns the new state, starting from the real factory-default initialState()). Deep-copies
 * through JSON so tests see what a durable store would keep.
 * @module
 */
import { initialState } from '../../src/state/machine.ts';
import type { AgentState, StateStore } from '../../src/state/types.ts';

function clone(s: AgentState): AgentState {
  // Uint8Array-free by contract (snapshots and journal are JSON), so JSON is a faithful copy.
  return JSON.parse(JSON.stringify(s)) as AgentState;
}

export class MemoryStore implements StateStore {
  private state: AgentState;
  updates = 0;
  constructor(initial: AgentState = initialState()) {
    this.state = clone(initial);
  }
  read(): Promise<AgentState> {
    return Promise.resolve(clone(this.state));
  }
  update(change: (current: AgentState) => AgentState): Promise<AgentState> {
    this.state = clone(change(clone(this.state)));
    this.updates += 1;
    return Promise.resolve(clone(this.state));
  }
}
