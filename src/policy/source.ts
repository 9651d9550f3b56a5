// The applied policy document, parsed once per change (the store says when it changed), for every decision.
import { policyOrEmpty } from './document.js';
import { EMPTY_POLICY, type PolicyDocument } from './types.js';
import type { PolicyStore } from '../store/store.js';

export class PolicySource {
  #store: PolicyStore;
  #version = '';
  #policy: PolicyDocument = EMPTY_POLICY;

  constructor(store: PolicyStore) {
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
