// The package as users import it ('dreamina-upscale', linked to pkg/), set up for the mock:
// a client with the sandbox token and fast retries, and the check every rejection must pass.
import assert from 'node:assert/strict';
import { DreaminaClient, DreaminaError } from 'dreamina-upscale';
import { TOKEN } from './mock.mjs';

/** A client of `mock` with the sandbox token and short retry delays; `extra` overrides options. */
export const clientOf = (mock, extra = {}) =>
  new DreaminaClient({ token: TOKEN, baseUrl: mock.baseUrl, retryBaseDelayMs: 5, retryMaxDelayMs: 20, ...extra });

/** Awaits a rejection and checks it is a proper DreaminaError (of `kind`, when given) whose
 * message never carries the token. Returns the error. */
export async function rejects(promise, kind) {
  const err = await promise.then(() => assert.fail(`expected a ${kind ? `${kind} ` : ''}rejection`), (e) => e);
  assert.ok(err instanceof DreaminaError, `not a DreaminaError: ${err}`);
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'DreaminaError');
  if (kind !== undefined) assert.equal(err.kind, kind, err.message);
  assert.equal(typeof err.stack, 'string');
  assert.ok(err.message.length > 0 && !err.message.includes(TOKEN));
  return err;
}
