// The applied policy document, parsed once per change (the store says when it changed), for every decision.
import { policyOrEmpty } from './document.js';
import { EMPTY_POLICY, type PolicyDocument } from './types.js';
import type { Store } from '../store/store.js';

export class PolicySource {
  #store: Store;
  #version = '';
  #policy: PolicyDocument = EMPTY_POLICY;

  constructor(store: Store) {
    this.#store = store;
  }

  async current(): Promise<PolicyDocument> {
    const stored = await this.#store.getPolicyDocument();
    const version = stored?.updatedAt ?? '';
    if (version !== this.#version) {
      this.#policy = policyOrEmpty(stored?.document);
      this.#version = version;
    }
    return this.#policy;
  }
}
