import type { PolicyVersion } from '../policy.types';
import { EN_1 } from './en-1';

/** Freezes a version all the way down: records point at it by id, so nothing may change it at run time. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Every policy version the CRM has ever captured under, oldest first. Old versions stay: their records still cite them. */
export const POLICY_VERSIONS: readonly PolicyVersion[] = deepFreeze([EN_1]);

/** The version new captures are taken under. */
export const CURRENT_POLICY_VERSION_ID = EN_1.id;

const ids = POLICY_VERSIONS.map((v) => v.id);
if (new Set(ids).size !== ids.length) throw new Error(`Policy version ids must be unique: ${ids.join(', ')}`);
if (!ids.includes(CURRENT_POLICY_VERSION_ID)) throw new Error(`The current policy version '${CURRENT_POLICY_VERSION_ID}' is not listed`);
