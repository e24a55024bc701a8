/**
 * The error every promise of this package rejects with. Instances are created inside the wasm
 * module as plain `Error`s named "DreaminaError" (so they carry a stack in every runtime);
 * `Symbol.hasInstance` makes `err instanceof DreaminaError` true for them.
 */
export class DreaminaError extends Error {
  constructor(message, props = {}) {
    super(message);
    this.name = 'DreaminaError';
    this.kind = props.kind ?? 'validation';
    for (const key of ['status', 'jobid', 'field', 'retryAfterMs', 'job']) this[key] = props[key];
  }

  static [Symbol.hasInstance](value) {
    return value instanceof Error && value.name === 'DreaminaError' && typeof value.kind === 'string';
  }
}
